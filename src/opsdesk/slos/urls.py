"""SLO pages, under /slos/ (namespace "slos", so the navigation marks its own entry)."""

from django.urls import path

from . import views

app_name = "slos"
urlpatterns = [
    path("", views.slo_list, name="list"),
    path("<int:slo_id>/", views.slo_detail, name="detail"),
]
