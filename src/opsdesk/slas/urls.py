"""SLO pages, under /slos/ (namespace "slos", so the navigation marks its own entry)."""

from django.urls import path

from . import slo_views

app_name = "slos"
urlpatterns = [
    path("", slo_views.slo_list, name="list"),
    path("<int:slo_id>/", slo_views.slo_detail, name="detail"),
]
