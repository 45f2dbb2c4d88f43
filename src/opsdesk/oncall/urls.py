"""On-call pages, under /oncall/ (namespace "oncall")."""

from django.urls import URLPattern, path

from . import views

app_name = "oncall"
urlpatterns: list[URLPattern] = [
    path("", views.schedule_list, name="list"),
    path("new/", views.schedule_edit, name="new"),
    path("my-shifts/", views.my_shifts, name="my-shifts"),
    path("<int:schedule_id>/", views.schedule_detail, name="detail"),
    path("<int:schedule_id>/edit/", views.schedule_edit, name="edit"),
    path("<int:schedule_id>/delete/", views.schedule_delete, name="delete"),
    path("<int:schedule_id>/overrides/", views.override_new, name="override-new"),
    path("<int:schedule_id>/overrides/<int:override_id>/delete/", views.override_delete, name="override-delete"),
]
