"""Pages of postmortems, their action items and problems. They keep the incidents area's prefix and
URL namespace ("incidents:postmortem_list", ...): opsdesk/urls.py mounts these patterns beside the
incidents app's under "incidents/", in the one namespace "incidents"."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:incident_id>/postmortem/", views.postmortem_start, name="postmortem_start"),
    path("postmortems/", views.postmortem_list, name="postmortem_list"),
    path("postmortems/<int:postmortem_id>/", views.postmortem_detail, name="postmortem_detail"),
    path("postmortems/<int:postmortem_id>/edit/", views.postmortem_update, name="postmortem_update"),
    path("postmortems/<int:postmortem_id>/transition/", views.postmortem_transition, name="postmortem_transition"),
    path("postmortems/<int:postmortem_id>/actions/", views.postmortem_add_action, name="postmortem_add_action"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/<int:action_id>/", views.action_update, name="action_update"),
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/<int:problem_id>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:problem_id>/edit/", views.problem_update, name="problem_update"),
    path("problems/<int:problem_id>/incidents/", views.problem_link, name="problem_link"),
]
