"""Reads of channels. Endpoints are configuration (their URLs are credentials for Slack and Teams):
staff only; a client user finds none, even those of their own client."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from opsdesk.core.tenancy import get_scoped, is_client_reader, scope

from .models import Attempt, Delivery, Endpoint


def _endpoints(user: Any) -> QuerySet[Endpoint]:
    qs = Endpoint.objects.select_related("client", "owner")
    return qs.none() if is_client_reader(user) else scope(qs, user)


def list_endpoints(user: Any) -> QuerySet[Endpoint]:
    """Endpoints with their last delivery's state and instant (staff only)."""
    last = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-id")
    return _endpoints(user).annotate(last_delivery_state=Subquery(last.values("state")[:1]),
                                     last_delivery_at=Subquery(last.values("created_at")[:1])).order_by("name", "id")


def get_endpoint(user: Any, endpoint_id: int) -> Endpoint:
    """One endpoint the user may see, or NotFound."""
    return get_scoped(_endpoints(user), user, pk=endpoint_id)


def list_deliveries(user: Any, endpoint_id: int) -> QuerySet[Delivery]:
    """An endpoint's deliveries, newest first, with their attempts."""
    endpoint = get_endpoint(user, endpoint_id)
    return (Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
            .prefetch_related(Prefetch("attempt_rows", queryset=Attempt.objects.order_by("at", "id"))))


def get_delivery(user: Any, endpoint_id: int, delivery_id: int) -> Delivery:
    """One delivery of an endpoint the user may see, or NotFound."""
    endpoint = get_endpoint(user, endpoint_id)
    return get_scoped(Delivery.objects.select_related("endpoint"), user, pk=delivery_id, endpoint=endpoint)
