"""Pages of the changes area: list, calendar, form, detail and its actions."""

from django.urls import path

from . import views

app_name = "changes"
urlpatterns = [
    path("", views.change_list, name="list"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/link/", views.calendar_link, name="calendar-link"),
    path("new/", views.change_new, name="new"),
    path("<int:change_id>/", views.change_detail, name="detail"),
    path("<int:change_id>/edit/", views.change_edit, name="edit"),
    path("<int:change_id>/transition/", views.change_transition, name="transition"),
    path("<int:change_id>/decide/", views.change_decide, name="decide"),
    path("<int:change_id>/review/", views.change_review, name="review"),
]
