"""On-call pages, under /oncall/ (namespace "oncall")."""

from django.urls import URLPattern

app_name = "oncall"
urlpatterns: list[URLPattern] = []
