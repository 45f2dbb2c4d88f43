"""Change events API (thin edges): the recent change events you may see. Intake: alerts.change_events."""


import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import change_event_queries
from . import intake_openapi as _intake_openapi  # noqa: F401  (documents the intake endpoints)

router = Router()


class ChangeEventOut(Schema):
    """A change a tool reported: where the rules placed it and the standard change it was recorded as."""

    id: int
    integration: int = Field(alias="integration_id")
    client: int = Field(alias="client_id")
    summary: str
    source: str
    happened_at: dt.datetime
    received_at: dt.datetime
    custom_details: dict[str, Any]
    links: list[dict[str, str]]
    service: int | None = Field(None, alias="service_id")
    site: int | None = Field(None, alias="site_id")
    change: int | None = Field(None, alias="change_id")


@router.get("/change-events", response=list[ChangeEventOut], tags=["alerts"])
@paginate(Page)
def list_change_events(  # type: ignore[no-untyped-def]
    request: HttpRequest, integration: Id | None = None, service: Id | None = None, client: Id | None = None,
):
    """Change events (deploys, configuration pushes) you may see, most recently received first."""
    return change_event_queries.list_change_events(request.user, integration=integration, service=service, client=client)
