"""URL map: the API under /api/v1/, the admin, and the server-rendered pages."""

from django.contrib import admin
from django.urls import include, path, re_path

from opsdesk.accounts.api import router as accounts_router
from opsdesk.alerts.api import router as alerts_router
from opsdesk.alerts.change_events import views as change_event_views
from opsdesk.alerts.change_events.api import router as change_events_router
from opsdesk.alerts.heartbeats.api import router as heartbeats_router
from opsdesk.alerts.intake import views as intake_views
from opsdesk.changes.api import feeds_router as change_feeds_router
from opsdesk.changes.api import router as changes_router
from opsdesk.changes.windows.api import router as change_windows_router
from opsdesk.channels.api import router as channels_router
from opsdesk.core.api import api
from opsdesk.core.endpoints import router as core_router
from opsdesk.core.mailtemplates.api import router as mail_templates_router
from opsdesk.core.metrics.view import metrics_view
from opsdesk.dispatch.api import router as dispatch_router
from opsdesk.inbound.api import router as inbound_router
from opsdesk.incidents import urls as incident_urls
from opsdesk.incidents.api import router as incidents_router
from opsdesk.learning import urls as learning_urls
from opsdesk.learning.api import router as learning_router
from opsdesk.oncall.api import router as oncall_router
from opsdesk.paging.api import router as paging_router
from opsdesk.people.api import router as people_router
from opsdesk.services.api import router as services_router
from opsdesk.sites.api import router as sites_router
from opsdesk.slas.api import router as slas_router
from opsdesk.slos.api import router as slo_router
from opsdesk.tenancy.api import router as tenancy_router
from opsdesk.workorders.api import router as workorders_router

api.add_router("", tenancy_router)
api.add_router("", accounts_router)
api.add_router("", sites_router)
api.add_router("", people_router)
api.add_router("", services_router)
api.add_router("", channels_router)
api.add_router("", oncall_router)
api.add_router("", changes_router)
api.add_router("", workorders_router)
api.add_router("", dispatch_router)
api.add_router("", change_windows_router)
api.add_router("", change_feeds_router)
api.add_router("", alerts_router)
api.add_router("", change_events_router)
api.add_router("", heartbeats_router)
api.add_router("", incidents_router)
api.add_router("", learning_router)
api.add_router("", slas_router)
api.add_router("", slo_router)
api.add_router("", paging_router)
api.add_router("", inbound_router)
api.add_router("", core_router)
api.add_router("", mail_templates_router)

urlpatterns = [
    # Alert intake (also served by the lean `opsdesk intake`), before the API, which owns api/v1/.
    # Only the three kinds match, so /api/v1/integrations/{id}/rotate-key stays the API's.
    path("v2/enqueue", intake_views.enqueue),
    re_path(r"^api/v1/integrations/(?P<kind>alertmanager|grafana|generic)/(?P<key>[^/]+)$", intake_views.integration),
    re_path(r"^api/v1/integrations/(?P<kind>alertmanager|grafana|generic)$", intake_views.integration),
    *change_event_views.urlpatterns,  # PagerDuty Change Events and the generic form
    path("metrics", metrics_view, name="metrics"),  # Prometheus; documented in the OpenAPI document
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("sites/", include("opsdesk.sites.urls")),
    path("people/", include("opsdesk.people.urls")),
    path("services/", include("opsdesk.services.urls")),
    path("clients/", include("opsdesk.tenancy.urls")),
    path("changes/", include("opsdesk.changes.urls")),
    path("work/", include("opsdesk.workorders.urls")),
    path("dispatch/", include("opsdesk.dispatch.urls")),
    # The learning pages (postmortems, actions, problems) share the incidents area's prefix and namespace.
    path("incidents/", include((incident_urls.urlpatterns + learning_urls.urlpatterns, incident_urls.app_name))),
    path("alerts/", include("opsdesk.alerts.urls")),
    path("slas/", include("opsdesk.slas.urls")),
    path("slos/", include("opsdesk.slos.urls")),
    path("channels/", include("opsdesk.channels.urls")),
    path("oncall/", include("opsdesk.oncall.urls")),
    path("paging/", include("opsdesk.paging.urls")),
    path("inbound/", include("opsdesk.inbound.urls")),
    path("mail-templates/", include("opsdesk.core.mailtemplates.urls")),
    path("", include("opsdesk.core.urls")),
]

handler404 = "opsdesk.core.api.api_aware_not_found"
handler500 = "opsdesk.core.api.api_aware_server_error"
