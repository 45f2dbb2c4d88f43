"""URL map: the API under /api/v1/, the admin, and the server-rendered pages."""

from django.contrib import admin
from django.urls import include, path

from opsdesk.accounts.api import router as accounts_router
from opsdesk.changes.api import router as changes_router
from opsdesk.changes.window_api import router as change_windows_router
from opsdesk.core.api import api
from opsdesk.core.endpoints import router as core_router
from opsdesk.people.api import router as people_router
from opsdesk.services.api import router as services_router
from opsdesk.sites.api import router as sites_router
from opsdesk.tenancy.api import router as tenancy_router
from opsdesk.workorders.api import router as workorders_router

api.add_router("", tenancy_router)
api.add_router("", accounts_router)
api.add_router("", sites_router)
api.add_router("", people_router)
api.add_router("", services_router)
api.add_router("", changes_router)
api.add_router("", workorders_router)
api.add_router("", change_windows_router)
api.add_router("", core_router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("sites/", include("opsdesk.sites.urls")),
    path("people/", include("opsdesk.people.urls")),
    path("services/", include("opsdesk.services.urls")),
    path("clients/", include("opsdesk.tenancy.urls")),
    path("changes/", include("opsdesk.changes.urls")),
    path("work/", include("opsdesk.workorders.urls")),
    path("", include("opsdesk.core.urls")),
]

handler404 = "opsdesk.core.api.api_aware_not_found"
handler500 = "opsdesk.core.api.api_aware_server_error"
