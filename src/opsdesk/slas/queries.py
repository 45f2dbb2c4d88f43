"""Reads for SLA clocks: policies a user may see, state histories from the timeline, calendars."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.core.models import Activity
from opsdesk.core.tenancy import scope
from opsdesk.incidents import queries as incident_queries
from opsdesk.incidents.models import Incident
from opsdesk.sites.businesstime import TWENTY_FOUR_SEVEN, Calendar
from opsdesk.sites.models import Site
from opsdesk.sites.rules import calendar_for
from opsdesk.workorders import queries as work_queries
from opsdesk.workorders.models import WorkOrder

from .models import SlaPolicy
from .targets import history_of

TRANSITION_VERBS = {WorkOrder: "transitioned", Incident: "transition"}


def list_policies(user: Any, *, applies_to: str | None = None, client: int | None = None,
                  active: bool | None = None) -> QuerySet[SlaPolicy]:
    """Policies the user may see: staff all; client users their own client's and the defaults."""
    qs = SlaPolicy.objects.select_related("client")
    if getattr(user, "is_client_user", False):
        qs = qs.filter(Q(client_id=user.client_id) | Q(client__isnull=True))
    else:
        qs = scope(qs, user)
    if applies_to:
        qs = qs.filter(applies_to=applies_to)
    if client is not None:
        qs = qs.filter(client_id=client)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def get_policy(user: Any, policy_id: int) -> SlaPolicy:
    """One policy the user may see, or NotFound."""
    policy = list_policies(user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No SLA policy matches id={policy_id}.")
    return policy


def candidate_policies(applies_to: str, level: str) -> list[SlaPolicy]:
    """The active policies of that kind and level (the choice by specificity is slas.targets')."""
    return list(SlaPolicy.objects.filter(applies_to=applies_to, level=level, active=True))


def get_work_order(user: Any, wo_id: int) -> WorkOrder:
    """The work order as its own GET scopes it (NotFound for another client's)."""
    return work_queries.get_work_order(user, wo_id)


def get_incident(user: Any, incident_id: int) -> Incident:
    """The incident as its own GET scopes it (NotFound for another client's)."""
    return incident_queries.get_incident(user, incident_id)


def transitions_of(obj: WorkOrder | Incident) -> list[tuple[float, str, str]]:
    """(epoch, before, after) of each state change on the object's timeline, in time order."""
    ct = ContentType.objects.get_for_model(type(obj))
    rows = Activity.objects.filter(
        content_type=ct, object_id=obj.pk, verb=TRANSITION_VERBS[type(obj)]
    ).order_by("at", "id").values_list("at", "changes")
    out = []
    for at, changes in rows:
        state = (changes or {}).get("state")
        if isinstance(state, list) and len(state) == 2:
            out.append((at.timestamp(), str(state[0]), str(state[1])))
    return out


def created_epoch(obj: WorkOrder | Incident) -> float:
    """When the object's clocks start: incidents when opsdesk knew (detected_at); work orders at
    the 'created' timeline entry (written at core.clock.now()), else the row's created_at."""
    if isinstance(obj, Incident):
        return obj.detected_at.timestamp()
    ct = ContentType.objects.get_for_model(WorkOrder)
    at = Activity.objects.filter(content_type=ct, object_id=obj.pk, verb="created").order_by("at", "id") \
        .values_list("at", flat=True).first()
    return (at or obj.created_at).timestamp()


def state_history(obj: WorkOrder | Incident) -> list[tuple[float, str]]:
    """(epoch, state entered) from the creation and the timeline's transitions (see targets.history_of)."""
    return history_of(created_epoch(obj), transitions_of(obj), obj.state)


def site_calendar(site: Site) -> Calendar:
    """The site's business-time calendar (zone, hours, holidays)."""
    return calendar_for(site.time_zone, site.business_hours, site.holiday_country, site.holiday_subdivision)


def calendar_of(obj: WorkOrder | Incident, business_hours: bool) -> tuple[Calendar, str]:
    """The calendar the clocks run on, and its time zone: the (first affected) site's, or 24x7."""
    if business_hours:
        site = obj.site if isinstance(obj, WorkOrder) else obj.sites.order_by("id").first()
        if site is not None:
            return site_calendar(site), site.time_zone
    return TWENTY_FOUR_SEVEN, "UTC"


def incident_client_ids(user: Any, incident: Incident) -> list[int]:
    """Whose policies apply: the viewer's own client for client users, else every affected client."""
    if getattr(user, "is_client_user", False):
        return [user.client_id]
    return list(incident.clients.order_by("id").values_list("id", flat=True))
