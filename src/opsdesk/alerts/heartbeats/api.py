"""Heartbeats API (thin edges): staff manage them under integrations; senders ping them with the key."""

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Path, Query

from opsdesk.accounts.models import User
from opsdesk.core.api import answers, problem, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id

from .. import keys
from .. import queries as alert_queries
from ..intake.deliveries import header_key
from . import queries, services
from .models import Heartbeat
from .schemas import SLUG, HeartbeatIn, HeartbeatOut, HeartbeatPatch, PingOut

router = Router()
TAG = ["alerts"]
WRITE = "integrations.write"


# operationIds as before the move into this sub-package (Ninja derives them from the module path).
@router.get("/heartbeats", response=list[HeartbeatOut], tags=TAG, operation_id="opsdesk_alerts_heartbeat_api_list_heartbeats")
@paginate(Page)
def list_heartbeats(
    request: HttpRequest,
    integration: Id | None = None,
    state: str | None = Query(None, max_length=100, description="new, up, late, down; comma-separated"),
) -> QuerySet[Heartbeat]:
    """Heartbeats (staff only): what each expects, its state, last ping and next due instant."""
    return queries.list_heartbeats(request.user, integration=integration, state=state)


@router.get("/integrations/{int:integration_id}/heartbeats", response=list[HeartbeatOut], tags=TAG,
            operation_id="opsdesk_alerts_heartbeat_api_list_integration_heartbeats")
@paginate(Page)
def list_integration_heartbeats(request: HttpRequest, integration_id: Id) -> QuerySet[Heartbeat]:
    """One integration's heartbeats (staff only)."""
    integration = alert_queries.get_integration(request.user, integration_id)
    return queries.list_heartbeats(request.user, integration=integration.pk)


@router.post("/integrations/{int:integration_id}/heartbeats", response={201: HeartbeatOut}, tags=TAG,
             operation_id="opsdesk_alerts_heartbeat_api_create_heartbeat")
@answers(409)
def create_heartbeat(request: HttpRequest, integration_id: Id, payload: HeartbeatIn) -> Status[Heartbeat]:
    """Add a heartbeat to an integration; it is new (never alerting) until its first ping."""
    integration = alert_queries.get_integration(request.user, integration_id)
    require_write(request, WRITE)
    actor = cast(User, request.user)  # signed in: the endpoint's authentication
    heartbeat = services.create_heartbeat(integration, payload.dict(), actor=actor)
    return Status(201, queries.get_heartbeat(request.user, heartbeat.pk))


add_object_routes(router, ObjectRoutes(
    collection="heartbeats", noun="heartbeat", tag="alerts", permission=WRITE, out=HeartbeatOut,
    get=queries.get_heartbeat, patch=HeartbeatPatch, update=services.update_heartbeat,
    delete=services.delete_heartbeat,
))


PING_DOC = """A sender's ping, authenticated by the integration's key in `Authorization: Bearer <key>`
or `X-Opsdesk-Key: <key>`. Recorded (committed) before the answer; a ping after the alert fired
resolves it. No key: 401; unknown key or slug: 404, nothing written."""


def _ping(request: HttpRequest, slug: str) -> JsonResponse | dict[str, Any]:
    """Record the ping; the answer."""
    raw = header_key(request.headers.get)
    if raw is None:
        return problem(401, "Unauthorized", "Send the integration key: Authorization: Bearer <key> or X-Opsdesk-Key.")
    heartbeat = services.ping(keys.hash_key(raw), slug)
    if heartbeat is None:
        return problem(404, "Not Found", f"No heartbeat {slug!r} on an active integration with this key.")
    return {"heartbeat": heartbeat.slug, "state": heartbeat.state, "due_at": heartbeat.due_at}


@router.get("/heartbeats/{slug}/ping", response=PingOut, auth=None, tags=TAG, operation_id="ping_heartbeat_get",
            summary="Ping a heartbeat (GET)", description=PING_DOC)
@answers(401, 404, 409)
def ping_get(request: HttpRequest, slug: str = Path(..., max_length=50, pattern=SLUG)) -> JsonResponse | dict[str, Any]:
    """A ping by GET (a cron job's `curl`)."""
    return _ping(request, slug)


@router.post("/heartbeats/{slug}/ping", response=PingOut, auth=None, tags=TAG, operation_id="ping_heartbeat",
             summary="Ping a heartbeat (POST; a body is ignored)", description=PING_DOC)
@answers(401, 404, 409)
def ping_post(request: HttpRequest, slug: str = Path(..., max_length=50, pattern=SLUG)) -> JsonResponse | dict[str, Any]:
    """A ping by POST (a body, e.g. a job's output, is ignored)."""
    return _ping(request, slug)
