"""Channels pages, under /channels/ (namespace "channels")."""

from django.urls import URLPattern, path, re_path

from . import views

app_name = "channels"
urlpatterns: list[URLPattern] = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_new, name="new"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    re_path(r"^(?P<endpoint_id>[0-9]+)/(?P<action>enable|disable|test|rotate)/$", views.endpoint_action, name="action"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/replay/", views.delivery_replay, name="replay"),
]
