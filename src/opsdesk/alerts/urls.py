"""Pages of alerts and integrations (staff only), part of the incidents area."""

from django.urls import path

from . import integration_views, views
from .heartbeats import views as heartbeat_views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:alert_id>/resolve/", views.resolve, name="resolve"),
    path("integrations/", integration_views.integration_list, name="integrations"),
    path("integrations/new/", integration_views.integration_new, name="integration-new"),
    path("integrations/<int:integration_id>/", integration_views.integration_detail, name="integration"),
    path("integrations/<int:integration_id>/key/", integration_views.integration_key, name="integration-key"),
    path("integrations/<int:integration_id>/rotate-key/", integration_views.rotate_key, name="rotate-key"),
    path("integrations/<int:integration_id>/heartbeats/new/", heartbeat_views.heartbeat_new, name="heartbeat-new"),
]
