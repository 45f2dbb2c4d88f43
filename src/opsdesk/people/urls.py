"""Pages of this area: the engineer list and engineer detail (staff only)."""

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.engineer_list, name="list"),
    path("<int:engineer_id>/", views.engineer_detail, name="detail"),
]
