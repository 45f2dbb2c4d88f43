"""Reads of integrations and alerts, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.queries import flag
from opsdesk.core.tenancy import get_scoped, scope

from .models import Alert, Integration


def list_integrations(user: Any, *, client: int | None = None, kind: str | None = None) -> QuerySet[Integration]:
    """Integrations the user may see (client users: their own client's), by name."""
    qs = scope(Integration.objects.select_related("client", "default_service", "default_site", "owner"), user)
    if client:
        qs = qs.filter(client_id=client)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.prefetch_related("rules").order_by("name", "id")


def get_integration(user: Any, integration_id: int) -> Integration:
    """One integration the user may see, or 404."""
    return get_scoped(list_integrations(user), user, pk=integration_id)


def list_alerts(
    user: Any,
    *,
    status: str | None = None,
    integration: int | None = None,
    service: int | None = None,
    site: int | None = None,
    client: int | None = None,
    incident: int | None = None,
    flapping: bool | None = None,
    in_maintenance: bool | None = None,
) -> QuerySet[Alert]:
    """Alerts the user may see, most recently seen first. `status` may list several, comma-separated."""
    qs = scope(Alert.objects.select_related("integration", "service", "site", "maintenance_change"), user)
    if status:
        qs = qs.filter(status__in=[s.strip() for s in status.split(",")])
    if integration:
        qs = qs.filter(integration_id=integration)
    if service:
        qs = qs.filter(service_id=service)
    if site:
        qs = qs.filter(site_id=site)
    if client:
        qs = qs.filter(client_id=client)
    if incident:
        qs = qs.filter(incident_id=incident)
    if flapping is not None:
        qs = qs.filter(flag("flapping", flapping))
    if in_maintenance is not None:
        qs = qs.filter(maintenance_change__isnull=not in_maintenance)
    return qs.order_by("-last_seen_at", "-id")


def get_alert(user: Any, alert_id: int) -> Alert:
    """One alert the user may see, or 404."""
    return get_scoped(list_alerts(user), user, pk=alert_id)


def alerts_by_ids(ids: list[int]) -> list[Alert]:
    """Alerts by id with what correlation reads (unscoped: for the processing pipeline)."""
    return list(Alert.objects.filter(pk__in=ids).select_related("service", "integration").order_by("id"))
