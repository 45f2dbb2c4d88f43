from django.urls import path

from . import views

app_name = "slas"

urlpatterns = [
    path("attainment/", views.attainment_report, name="attainment"),
]
