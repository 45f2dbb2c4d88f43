"""Paging pages, under /paging/ (namespace "paging")."""

from django.urls import URLPattern, path

from . import views

app_name = "paging"
urlpatterns: list[URLPattern] = [
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_form, name="policy-new"),
    path("policies/<int:pk>/edit/", views.policy_form, name="policy-edit"),
    path("me/", views.my_paging, name="me"),
    path("incidents/<int:pk>/", views.incident_escalation, name="incident"),
    path("incidents/<int:pk>/<str:action>/", views.incident_action, name="incident-action"),
    path("a/<str:token>/", views.action_link, name="action"),
]
