"""Inbound mail pages, under /inbound/ (namespace "inbound")."""

from django.urls import URLPattern, path

from . import views

app_name = "inbound"
urlpatterns: list[URLPattern] = [
    path("", views.message_list, name="list"),
    path("<int:message_id>/", views.message_detail, name="detail"),
    path("<int:message_id>/retry/", views.message_retry, name="retry"),
    path("<int:message_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
