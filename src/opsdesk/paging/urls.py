"""Paging pages, under /paging/ (namespace "paging")."""

from django.urls import URLPattern

app_name = "paging"
urlpatterns: list[URLPattern] = []
