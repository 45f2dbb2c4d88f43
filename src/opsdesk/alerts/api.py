"""Integrations and alerts API (thin edges). Ingestion endpoints live in alerts.intake."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Brief, Id

from . import keys, queries, services
from .models import Alert, Integration
from .schemas import (
    AlertOut,
    IntegrationBrief,
    IntegrationIn,
    IntegrationKeyOut,
    IntegrationPatch,
    IntegrationView,
)

router = Router()
TAG = ["alerts"]


def _for_viewer(user: Any, integration: Integration) -> Integration | Brief:
    """Client users get the brief shape: existence and state, not configuration."""
    if getattr(user, "is_client_user", False):
        return Brief(integration, IntegrationBrief)
    return integration


def _with_key(request: HttpRequest, integration_id: int, raw: str) -> Integration:
    """The integration as read again, carrying its one-time key (and signing secret) as attributes:
    the answer is validated from the object like every other answer, never from a dict of field
    names (IntegrationOut reads `client_id`, `rules`, ... through aliases and resolvers)."""
    integration = queries.get_integration(request.user, integration_id)
    carrier: Any = integration  # the two attributes are not fields of the model
    carrier.key = raw
    carrier.signing_secret = keys.signing_secret(integration.signing_salt) if integration.signature_header else None
    return integration


@router.get("/integrations", response=list[IntegrationView], tags=TAG)
@paginate(Page)
def list_integrations(
    request: HttpRequest,
    client: Id | None = None,
    kind: str | None = Query(None, max_length=20),
) -> list[Integration | Brief] | QuerySet[Integration]:
    """Integrations you may see: where alerts come from, and how they map to services and sites
    (client users: the brief shape, without the configuration)."""
    integrations = queries.list_integrations(request.user, client=client, kind=kind)
    if getattr(request.user, "is_client_user", False):
        return [_for_viewer(request.user, i) for i in integrations]
    return integrations


@router.post("/integrations", response={201: IntegrationKeyOut}, tags=TAG)
@answers(409)
def create_integration(request: HttpRequest, payload: IntegrationIn) -> Status[Integration]:
    """Add an integration; the answer carries its key, shown this once (only its hash is stored)."""
    require_write(request, "integrations.write")
    integration, raw = services.create_integration(payload.dict(), actor=signed_in(request.user))
    return Status(201, _with_key(request, integration.pk, raw))


@router.post("/integrations/{int:integration_id}/rotate-key", response=IntegrationKeyOut, tags=TAG)
def rotate_key(request: HttpRequest, integration_id: Id) -> Integration:
    """Replace the key (and signing secret); the old one stops working at once."""
    integration = queries.get_integration(request.user, integration_id)
    require_write(request, "integrations.write")
    raw = services.rotate_key(integration, actor=signed_in(request.user))
    return _with_key(request, integration.pk, raw)


add_object_routes(router, ObjectRoutes(
    collection="integrations", noun="integration", tag="alerts", permission="integrations.write",
    out=IntegrationView, get=queries.get_integration, patch=IntegrationPatch,
    update=services.update_integration, delete=services.delete_integration, present_to=_for_viewer,
))


@router.get("/alerts", response=list[AlertOut], tags=TAG)
@paginate(Page)
def list_alerts(
    request: HttpRequest,
    status: str | None = Query(None, max_length=100, description="firing, acknowledged, resolved; comma-separated"),
    integration: Id | None = None,
    service: Id | None = None,
    site: Id | None = None,
    client: Id | None = None,
    incident: Id | None = None,
    flapping: bool | None = None,
    in_maintenance: bool | None = None,
) -> QuerySet[Alert]:
    """Alerts you may see, most recently seen first."""
    return queries.list_alerts(
        request.user, status=status, integration=integration, service=service, site=site, client=client,
        incident=incident, flapping=flapping, in_maintenance=in_maintenance,
    )


@router.post("/alerts/{int:alert_id}/acknowledge", response=AlertOut, tags=TAG)
@answers(409)
def acknowledge(request: HttpRequest, alert_id: Id) -> Alert:
    """Acknowledge a firing alert."""
    alert = queries.get_alert(request.user, alert_id)
    require_write(request, "alerts.write")
    services.acknowledge_alert(alert, actor=signed_in(request.user))
    return queries.get_alert(request.user, alert_id)


@router.post("/alerts/{int:alert_id}/resolve", response=AlertOut, tags=TAG)
@answers(409)
def resolve(request: HttpRequest, alert_id: Id) -> Alert:
    """Resolve an open alert by hand."""
    alert = queries.get_alert(request.user, alert_id)
    require_write(request, "alerts.write")
    services.resolve_alert(alert, actor=signed_in(request.user))
    return queries.get_alert(request.user, alert_id)


add_object_routes(router, ObjectRoutes(
    collection="alerts", noun="alert", tag="alerts", permission="alerts.write", out=AlertOut, get=queries.get_alert,
))
