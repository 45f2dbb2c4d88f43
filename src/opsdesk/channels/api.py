"""Channels API (thin edges): webhook, Slack and Teams endpoints, their deliveries, tests and replays.

Staff only (`integrations.write` to change anything): an endpoint's URL is a credential for Slack
and Teams, and its secret signs what opsdesk says."""

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.accounts.models import User
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id

from . import queries, services
from .models import Delivery, Endpoint
from .schemas import DeliveryOut, EndpointCreated, EndpointIn, EndpointOut, EndpointPatch, SecretOut

router = Router(tags=["Channels"])
TAG = "channels"
WRITE = "integrations.write"


def _writer(request: HttpRequest) -> User:
    require_write(request, WRITE)
    return cast(User, request.user)  # signed in: the endpoint's authentication


@router.get("/webhooks", response=list[EndpointOut], tags=[TAG])
@paginate(Page)
def list_webhooks(request: HttpRequest) -> QuerySet[Endpoint]:
    """Endpoints (webhooks, Slack, Teams) with their health (staff only)."""
    return queries.list_endpoints(request.user)


@router.post("/webhooks", response={201: EndpointCreated}, tags=[TAG])
@answers(409)
def create_webhook(request: HttpRequest, payload: EndpointIn) -> Status[Endpoint]:
    """Add an endpoint. A webhook's signing secret (`whsec_...`) is in this answer only: keep it."""
    actor = _writer(request)
    endpoint, secret = services.create_endpoint(payload.dict(exclude_unset=True), actor=actor)
    answer = queries.get_endpoint(request.user, endpoint.pk)
    answer.secret = secret  # type: ignore[attr-defined]  # shown once: not a column
    return Status(201, answer)


add_object_routes(router, ObjectRoutes(
    collection="webhooks", noun="webhook endpoint", tag=TAG, permission=WRITE, out=EndpointOut,
    get=queries.get_endpoint, patch=EndpointPatch, update=services.update_endpoint,
    delete=services.delete_endpoint,
))


@router.post("/webhooks/{int:endpoint_id}/rotate-secret", response=SecretOut, tags=[TAG])
@answers(409)
def rotate_webhook_secret(request: HttpRequest, endpoint_id: Id) -> dict[str, Any]:
    """A new signing secret (the old one stops at once); shown in this answer only. 409 for Slack/Teams."""
    endpoint = queries.get_endpoint(request.user, endpoint_id)
    secret = services.rotate_secret(endpoint, actor=_writer(request))
    return {"id": endpoint.pk, "secret": secret}


@router.post("/webhooks/{int:endpoint_id}/test", response=DeliveryOut, tags=[TAG])
def test_webhook(request: HttpRequest, endpoint_id: Id) -> Delivery:
    """Send a `ping` event now; the delivery with the receiver's answer (not retried)."""
    endpoint = queries.get_endpoint(request.user, endpoint_id)
    delivery = services.send_test(endpoint, actor=_writer(request))
    return queries.get_delivery(request.user, endpoint.pk, delivery.pk)


@router.post("/webhooks/{int:endpoint_id}/enable", response=EndpointOut, tags=[TAG])
def enable_webhook(request: HttpRequest, endpoint_id: Id) -> Endpoint:
    """Switch a (disabled) endpoint back on: its failure count restarts and waiting deliveries go out."""
    endpoint = queries.get_endpoint(request.user, endpoint_id)
    services.enable_endpoint(endpoint, actor=_writer(request))
    return queries.get_endpoint(request.user, endpoint.pk)


@router.get("/webhooks/{int:endpoint_id}/deliveries", response=list[DeliveryOut], tags=[TAG])
@paginate(Page)
def list_webhook_deliveries(request: HttpRequest, endpoint_id: Id) -> QuerySet[Delivery]:
    """An endpoint's deliveries, newest first, each with its attempts and answers."""
    return queries.list_deliveries(request.user, endpoint_id)


@router.post("/webhooks/{int:endpoint_id}/deliveries/{int:delivery_id}/replay", response=DeliveryOut, tags=[TAG])
def replay_webhook_delivery(request: HttpRequest, endpoint_id: Id, delivery_id: Id) -> Delivery:
    """Send a delivery again now (a new attempt, the same webhook-id); the delivery afterwards."""
    delivery = queries.get_delivery(request.user, endpoint_id, delivery_id)
    services.replay(delivery, _writer(request))
    return queries.list_deliveries(request.user, endpoint_id).get(pk=delivery.pk)
