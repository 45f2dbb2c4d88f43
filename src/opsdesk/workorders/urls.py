"""Pages of the work area: queue, work order, my work, client portal."""

from django.urls import path

from . import field_views, portal_views, views

app_name = "workorders"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", field_views.mine, name="mine"),
    path("portal/", portal_views.portal, name="portal"),
    path("portal/<int:wo_id>/", portal_views.portal_detail, name="portal-detail"),
    path("portal/<int:wo_id>/comment/", portal_views.portal_comment, name="portal-comment"),
    path("<int:wo_id>/", views.detail, name="detail"),
    path("<int:wo_id>/edit/", views.edit, name="edit"),
    path("<int:wo_id>/transition/", views.transition, name="transition"),
    path("<int:wo_id>/override/", views.override, name="override"),
    path("<int:wo_id>/arrangement/", views.arrangement, name="arrangement"),
    path("<int:wo_id>/assign/", views.assign, name="assign"),
    path("<int:wo_id>/handoff/", views.handoff, name="handoff"),
    path("<int:wo_id>/handoffs/<int:handoff_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:wo_id>/comment/", views.comment, name="comment"),
    path("<int:wo_id>/check-in/", field_views.check_in, name="check-in"),
    path("<int:wo_id>/check-out/", field_views.check_out, name="check-out"),
    path("<int:wo_id>/check-out/not-completed/", field_views.check_out_not_completed, name="check-out-not-completed"),
]
