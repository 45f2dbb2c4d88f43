"""Pages of this area."""

from django.urls import path


urlpatterns: list = []
