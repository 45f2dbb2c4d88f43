"""Pages of this area."""

from django.urls import path

app_name = "people"
urlpatterns: list = []
