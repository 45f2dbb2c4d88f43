"""Inbound mail pages, under /inbound/ (namespace "inbound")."""

from django.urls import URLPattern

app_name = "inbound"
urlpatterns: list[URLPattern] = []
