"""Reads for SLA clocks: policies a user may see, state histories from the timeline, calendars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
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


def candidate_policies(applies_to: str, levels: Iterable[str]) -> list[SlaPolicy]:
    """The active policies of that kind and these levels (the choice by specificity is slas.targets')."""
    return list(SlaPolicy.objects.filter(applies_to=applies_to, level__in=set(levels), active=True))


def get_work_order(user: Any, wo_id: int) -> WorkOrder:
    """The work order as its own GET scopes it (NotFound for another client's)."""
    return work_queries.get_work_order(user, wo_id)


def get_incident(user: Any, incident_id: int) -> Incident:
    """The incident as its own GET scopes it (NotFound for another client's)."""
    return incident_queries.get_incident(user, incident_id)


def state_histories(objs: Sequence[WorkOrder | Incident]) -> dict[int, list[tuple[float, str]]]:
    """(epoch, state entered) of each object (all of one model), from its creation and the timeline's
    transitions (see targets.history_of): one query for all of them, whatever their number."""
    if not objs:
        return {}
    model = type(objs[0])
    verb = TRANSITION_VERBS[model]
    verbs = [verb, "created"] if model is WorkOrder else [verb]
    rows = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=[o.pk for o in objs], verb__in=verbs
    ).order_by("at", "id").values_list("object_id", "verb", "at", "changes")
    transitions: dict[int, list[tuple[float, str, str]]] = defaultdict(list)
    created: dict[int, float] = {}
    for object_id, row_verb, at, changes in rows:
        if row_verb == "created" and row_verb != verb:
            created.setdefault(object_id, at.timestamp())
            continue
        state = (changes or {}).get("state")
        if isinstance(state, list) and len(state) == 2:
            transitions[object_id].append((at.timestamp(), str(state[0]), str(state[1])))
    starts = _created_epochs(objs, created)
    return {o.pk: history_of(starts[o.pk], transitions[o.pk], o.state) for o in objs}


def _created_epochs(objs: Sequence[WorkOrder | Incident], created: dict[int, float]) -> dict[int, float]:
    """When each object's clocks start: incidents when opsdesk knew (detected_at); work orders at
    the 'created' timeline entry (written at core.clock.now()), else the row's created_at (read in
    one query, as list rows may not have loaded it)."""
    if isinstance(objs[0], Incident):
        return {o.pk: o.detected_at.timestamp() for o in objs if isinstance(o, Incident)}
    missing = [o.pk for o in objs if o.pk not in created]
    if missing:
        rows = WorkOrder.objects.filter(pk__in=missing).values_list("id", "created_at")
        created = {**created, **{pk: at.timestamp() for pk, at in rows}}
    return created


def site_calendar(site: Site) -> Calendar:
    """The site's business-time calendar (zone, hours, holidays)."""
    return calendar_for(site.time_zone, site.business_hours, site.holiday_country, site.holiday_subdivision)


def _calendars(site_ids: Iterable[int]) -> dict[int, tuple[Calendar, str]]:
    sites = Site.objects.filter(pk__in=set(site_ids)).only(
        "id", "time_zone", "business_hours", "holiday_country", "holiday_subdivision")
    return {site.pk: (site_calendar(site), site.time_zone) for site in sites}


def work_order_calendars(work_orders: Sequence[WorkOrder]) -> dict[int, tuple[Calendar, str]]:
    """Each work order's site calendar and time zone (one query for all the sites)."""
    by_site = _calendars(wo.site_id for wo in work_orders)
    return {wo.pk: by_site.get(wo.site_id, (TWENTY_FOUR_SEVEN, "UTC")) for wo in work_orders}


def incident_calendars(incidents: Sequence[Incident]) -> dict[int, tuple[Calendar, str]]:
    """Each incident's first affected site's calendar and zone, or 24x7 (two queries for all of them)."""
    through = Incident.sites.through
    first: dict[int, int] = {}
    for incident_id, site_id in through.objects.filter(incident_id__in=[i.pk for i in incidents]) \
            .order_by("site_id").values_list("incident_id", "site_id"):
        first.setdefault(incident_id, site_id)
    by_site = _calendars(first.values())
    return {i.pk: by_site.get(first.get(i.pk, 0), (TWENTY_FOUR_SEVEN, "UTC")) for i in incidents}


def incident_client_ids(user: Any, incidents: Sequence[Incident]) -> dict[int, list[int]]:
    """Whose policies apply: the viewer's own client for client users, else every affected client."""
    if getattr(user, "is_client_user", False):
        return {i.pk: [user.client_id] for i in incidents}
    out: dict[int, list[int]] = {i.pk: [] for i in incidents}
    rows = Incident.clients.through.objects.filter(incident_id__in=list(out)).order_by("client_id") \
        .values_list("incident_id", "client_id")
    for incident_id, client_id in rows:
        out[incident_id].append(client_id)
    return out
