"""Reads of heartbeats, scoped to the viewer (staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.tenancy import get_scoped, scope

from .models import Heartbeat


def list_heartbeats(user: Any, *, integration: int | None = None, state: str | None = None) -> QuerySet[Heartbeat]:
    """Heartbeats the user may see (staff only), by integration and name."""
    qs = scope(Heartbeat.objects.select_related("integration"), user)
    if integration:
        qs = qs.filter(integration_id=integration)
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",") if s.strip()])
    return qs.order_by("integration_id", "name", "id")


def get_heartbeat(user: Any, heartbeat_id: int) -> Heartbeat:
    """One heartbeat the user may see, or 404."""
    return get_scoped(list_heartbeats(user), user, pk=heartbeat_id)
