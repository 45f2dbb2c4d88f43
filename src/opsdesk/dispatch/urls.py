"""Pages of the dispatch area: the board of a region's day, its actions, and engineers' calendar feeds."""

from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.board, name="board"),
    path("plans/build/", views.build, name="build"),
    path("plans/<int:plan_id>/accept/", views.accept, name="accept"),
    path("plans/<int:plan_id>/move/", views.move, name="move"),
    path("engineers/<int:engineer_id>/schedule.ics", views.schedule_ics, name="schedule-ics"),
    path("engineers/<int:engineer_id>/schedule-link/", views.schedule_link, name="schedule-link"),
    path("engineers/<int:engineer_id>/unavailable/", views.unavailable, name="unavailable"),
]
