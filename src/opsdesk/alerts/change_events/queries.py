"""Reads of change events, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.accounts.models import User
from opsdesk.accounts.queries import active_staff
from opsdesk.core.tenancy import scope

from .. import keys
from ..models import Integration
from .models import ChangeEvent


def list_change_events(user: Any, *, integration: int | None = None, service: int | None = None,
                       client: int | None = None) -> QuerySet[ChangeEvent]:
    """Change events the user may see, most recently received first."""
    qs = scope(ChangeEvent.objects.select_related("service", "site", "change"), user)
    if integration:
        qs = qs.filter(integration_id=integration)
    if service:
        qs = qs.filter(service_id=service)
    if client:
        qs = qs.filter(client_id=client)
    return qs.order_by("-received_at", "-id")


def recent_for_integration(integration_id: int, limit: int = 20) -> list[ChangeEvent]:
    """An integration's latest change events (the integration page; the caller checked access),
    each with `safe_links`: the links a page may show as links (http and https only)."""
    events = list(ChangeEvent.objects.filter(integration_id=integration_id)
                  .select_related("service", "site", "change").order_by("-received_at", "-id")[:limit])
    for event in events:
        event.safe_links = [link for link in event.links or []  # type: ignore[attr-defined]
                            if str(link.get("href", "")).lower().startswith(("https://", "http://"))]
    return events


def find_integration(key: str, *, events_v2_only: bool) -> Integration | None:
    """The active integration with this key (only an Events API v2 one for PagerDuty's path), or None."""
    integration = Integration.objects.filter(key_hash=keys.hash_key(key), active=True).first()
    if integration is not None and events_v2_only and integration.kind != Integration.Kind.EVENTS_V2:
        return None
    return integration


def change_owner(integration: Integration) -> User | None:
    """Who owns a recorded change: the integration's owner, else the first active staff user."""
    owner = active_staff(integration.owner_id)
    if owner is None:
        owner = User.objects.filter(is_active=True).exclude(role="client").order_by("id").first()
    return owner
