"""Channels pages, under /channels/ (namespace "channels")."""

from django.urls import URLPattern

app_name = "channels"
urlpatterns: list[URLPattern] = []
