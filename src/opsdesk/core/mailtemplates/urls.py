"""Email wording pages, under /mail-templates/ (namespace "mailtemplates")."""

from django.urls import URLPattern, path

from . import views

app_name = "mailtemplates"
urlpatterns: list[URLPattern] = [
    path("", views.template_list, name="list"),
    path("<str:key>/<str:audience>/", views.template_edit, name="edit"),
]
