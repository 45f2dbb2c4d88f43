"""Pages of the incidents area: the list, declare, the incident page and its actions.

The postmortem and problem pages (opsdesk.learning.urls) share this prefix and namespace (mounted
together in opsdesk/urls.py); they use "<id>/postmortem/", "postmortems/", "actions/" and
"problems/", which nothing here takes.
"""

from django.urls import path

from . import action_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:incident_id>/", views.incident_detail, name="detail"),
    path("<int:incident_id>/edit/", views.incident_edit, name="edit"),
    path("<int:incident_id>/transition/", action_views.transition, name="transition"),
    path("<int:incident_id>/owner/", action_views.set_owner, name="owner"),
    path("<int:incident_id>/roles/<str:role>/", action_views.assign_role, name="assign-role"),
    path("<int:incident_id>/roles/<str:role>/acknowledge/", action_views.acknowledge_role, name="acknowledge-role"),
    path("<int:incident_id>/updates/<str:audience>/", action_views.post_update, name="post-update"),
    path("<int:incident_id>/notes/", action_views.add_note, name="note"),
    path("<int:incident_id>/change/", action_views.link_change, name="link-change"),
]
