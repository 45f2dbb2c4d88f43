"""Reads of incidents, scoped to the viewer (client users: incidents impacting their client)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from opsdesk.core.tenancy import filters_hidden, get_scoped, scope
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from . import rules
from .models import Incident, IncidentRole, IncidentUpdate, UpdateTemplate
from .updates import CLIENT_AUDIENCES


def list_incidents(
    user: Any,
    *,
    state: str | None = None,
    severity: str | None = None,
    service: int | None = None,
    site: int | None = None,
    client: int | None = None,
    owner: int | None = None,
    open: bool | None = None,
) -> QuerySet[Incident]:
    """Incidents the user may see, newest first. `state` and `severity` may list several, comma-separated."""
    qs = scope(Incident.objects.select_related("owner", "change", "problem"), user)
    if filters_hidden(user, site=(Site.objects.all(), site), service=(Service.objects.all(), service),
                      client=(Client.objects.all(), client)):
        qs = qs.none()
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",")])
    if severity:
        qs = qs.filter(severity__in=[s.strip() for s in severity.split(",")])
    if service:
        qs = qs.filter(services__id=service)
    if site:
        qs = qs.filter(sites__id=site)
    if client:
        qs = qs.filter(clients__id=client)
    if owner:
        qs = qs.filter(owner_id=owner)
    if open is not None:
        qs = qs.filter(state__in=sorted(rules.OPEN_STATES)) if open else qs.exclude(state__in=sorted(rules.OPEN_STATES))
    return qs.prefetch_related(
        "services", "sites", Prefetch("roles", queryset=IncidentRole.objects.select_related("user")),
    ).order_by("-detected_at", "-id")


def get_incident(user: Any, incident_id: int) -> Incident:
    """One incident the user may see, or 404."""
    return get_scoped(list_incidents(user), user, pk=incident_id)


def list_updates(user: Any, incident: Incident, *, audience: str | None = None) -> QuerySet[IncidentUpdate]:
    """The incident's updates, newest first; client users see only client and end-user updates."""
    qs = incident.updates.select_related("posted_by")
    if getattr(user, "is_client_user", False):
        qs = qs.filter(audience__in=sorted(CLIENT_AUDIENCES))
    if audience:
        qs = qs.filter(audience=audience)
    return qs.order_by("-posted_at", "-id")


def list_templates(audience: str | None = None, severity: str | None = None) -> QuerySet[UpdateTemplate]:
    """Update templates, for an audience and severity (templates for any severity included)."""
    qs = UpdateTemplate.objects.all()
    if audience:
        qs = qs.filter(audience=audience)
    if severity:
        qs = qs.filter(severity__in=[severity, ""])
    return qs.order_by("audience", "-severity", "name")


def get_template(template_id: int) -> UpdateTemplate | None:
    """One update template."""
    return UpdateTemplate.objects.filter(pk=template_id).first()
