from django.urls import path

from . import sla_views

app_name = "slas"

urlpatterns = [
    path("attainment/", sla_views.attainment_report, name="attainment"),
]
