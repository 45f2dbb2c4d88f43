"""Change events API (thin edges): the recent change events you may see. The intake of change
events is plain Django views (alerts.change_events.views) and the lean server."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import queries
from .models import ChangeEvent
from .schemas import ChangeEventOut

router = Router()


# operationId as before the move into this sub-package (Ninja derives it from the module path).
@router.get("/change-events", response=list[ChangeEventOut], tags=["alerts"],
            operation_id="opsdesk_alerts_change_event_api_list_change_events")
@paginate(Page)
def list_change_events(
    request: HttpRequest, integration: Id | None = None, service: Id | None = None, client: Id | None = None,
) -> QuerySet[ChangeEvent]:
    """Change events (deploys, configuration pushes) you may see, most recently received first."""
    return queries.list_change_events(request.user, integration=integration, service=service, client=client)
