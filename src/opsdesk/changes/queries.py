"""Reads of change requests, scoped to the viewer, the facts risk, approvals and collisions need,
and what the iCalendar feed of changes shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from opsdesk.core import clock, schedule
from opsdesk.core.queries import id_or_code
from opsdesk.core.tenancy import filters_hidden, get_scoped, scope
from opsdesk.services import queries as service_queries
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from . import approvals, client_view, collisions, risk, rules
from .models import Approval, ChangeRequest
from .windows import queries as window_queries
from .windows.rules import WindowViolation

# The iCalendar feeds' horizon: changes implemented in the last 30 days and planned 180 days ahead.
FEED_PAST = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=180)
FEED_STATES = rules.PLANNED_STATES | rules.IMPLEMENTED_STATES
FAILURE_Q = (
    Q(state__in=sorted(rules.FAILED_OUTCOMES)) | Q(outcome__in=sorted(rules.FAILED_OUTCOMES)) | Q(caused_incident=True)
)


def _with_relations(qs: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    return qs.select_related("owner").prefetch_related(
        "services", Prefetch("sites", queryset=Site.objects.order_by("code")), "clients", "implementers",
        Prefetch("approvals", queryset=Approval.objects.select_related("approver").order_by("decided_at", "id")),
    )


def list_changes(
    user: Any,
    *,
    state: str | None = None,
    type: str | None = None,
    risk_level: str | None = None,
    site: int | None = None,
    service: int | None = None,
    client: int | None = None,
    region: str | None = None,
    window_from: dt.datetime | None = None,
    window_to: dt.datetime | None = None,
) -> QuerySet[ChangeRequest]:
    """Changes the user may see, filtered, soonest window first. `state` may list several, comma-separated."""
    qs = scope(ChangeRequest.objects.all(), user)
    if filters_hidden(user, site=(Site.objects.all(), site), service=(Service.objects.all(), service),
                      client=(Client.objects.all(), client)):
        return _with_relations(qs.none())
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",")])
    if type:
        qs = qs.filter(type=type)
    if risk_level:
        qs = qs.filter(risk_level=risk_level)
    if site:
        qs = qs.filter(sites__id=site)
    if service:
        qs = qs.filter(services__id=service)
    if client:
        qs = qs.filter(clients__id=client)
    if region:
        qs = qs.filter(id_or_code(region, prefix="sites__region__"))
    if window_from:
        qs = qs.filter(window_end__gt=_aware(window_from))
    if window_to:
        qs = qs.filter(window_start__lt=_aware(window_to))
    if site or service or client or region:
        qs = qs.distinct()
    return _with_relations(qs).order_by("window_start", "id")


def _aware(value: dt.datetime) -> dt.datetime:
    """A filter bound without an offset is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def get_change(user: Any, change_id: int) -> ChangeRequest:
    """One change the user may see, with its relations, or NotFound."""
    return get_scoped(_with_relations(ChangeRequest.objects.all()), user, pk=change_id)


def visible_services(user: Any, ids: list[int]) -> dict[int, Service]:
    """The services among `ids` that the user may see, by id."""
    return {s.pk: s for s in scope(Service.objects.filter(pk__in=ids), user)}


def visible_sites(user: Any, ids: list[int]) -> dict[int, Site]:
    """The sites among `ids` that the user may see, by id."""
    return {s.pk: s for s in scope(Site.objects.filter(pk__in=ids), user)}


def hosting_site_ids(service_ids: list[int]) -> list[int]:
    """Sites that host any of the services (the default affected sites)."""
    return sorted(set(Site.objects.filter(services__id__in=service_ids).values_list("pk", flat=True)))


def derived_client_ids(service_ids: list[int], site_ids: list[int]) -> set[int]:
    """The clients a change affects: its services' clients and its sites' clients."""
    ids = set(Service.objects.filter(pk__in=service_ids).values_list("client_id", flat=True))
    ids |= set(Site.clients.through.objects.filter(site_id__in=site_ids).values_list("client_id", flat=True))
    return ids


# -- graph ---------------------------------------------------------------------------------------


def _downstream_map(nodes: set[int], edges: list[tuple[int, int]]) -> dict[int, frozenset[int]]:
    """Each node's transitive dependants, from one adjacency built once."""
    dependants: dict[int, set[int]] = defaultdict(set)
    for svc, on in edges:
        dependants[on].add(svc)
    out: dict[int, frozenset[int]] = {}
    for node in nodes:
        seen: set[int] = set()
        queue = deque(dependants.get(node, ()))
        while queue:
            n = queue.popleft()
            if n not in seen:
                seen.add(n)
                queue.extend(dependants.get(n, set()) - seen)
        out[node] = frozenset(seen)
    return out


def _chain(service_ids: set[int], edges: list[tuple[int, int]]) -> set[int]:
    """The services themselves and everything upstream or downstream of them."""
    related = set(service_ids)
    for s in service_ids:
        related |= service_rules.upstream(s, edges) | service_rules.downstream(s, edges)
    return related


# -- collisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collision:
    """Another planned change or visit that overlaps this change, and why it matters."""

    ref: str
    kind: str
    label: str
    start_at: dt.datetime
    end_at: dt.datetime
    state: str
    change_id: int | None
    reasons: tuple[str, ...]


def _ids(change: ChangeRequest, name: str) -> set[int]:
    return {o.pk for o in getattr(change, name).all()}


def collisions_for(change: ChangeRequest) -> list[Collision]:
    """Planned changes and visits overlapping the change's window on a related service or site."""
    service_ids, site_ids = _ids(change, "services"), _ids(change, "sites")
    edges = service_queries.all_edges()
    ref = schedule.ref_for(change) if change.pk else "new"
    planned = [
        p for p in schedule.overlapping(
            change.window_start, change.window_end, site_ids=site_ids,
            service_ids=_chain(service_ids, edges), exclude_ref=ref,
        )
        if p.kind != "change" or p.state in rules.PLANNED_STATES
    ]
    services = service_ids.union(*(p.service_ids for p in planned))
    sites = site_ids.union(*(p.site_ids for p in planned))
    graph = collisions.Graph(
        downstream=_downstream_map(services, edges),
        service_names=dict(Service.objects.filter(pk__in=services).values_list("pk", "name")),
        site_names=dict(Site.objects.filter(pk__in=sites).values_list("pk", "code")),
    )
    subject = collisions.Slot(ref, change.window_start, change.window_end, frozenset(site_ids), frozenset(service_ids))
    by_ref = {p.ref: p for p in planned}
    slots = [collisions.Slot(p.ref, p.start_at, p.end_at, p.site_ids, p.service_ids) for p in planned]
    return [
        _collision(by_ref[slot.ref], why) for slot, why in collisions.collisions_of(subject, slots, graph)
    ]


def _collision(p: schedule.Planned, why: list[str]) -> Collision:
    change_id = None
    if p.kind == "change" and p.ref.startswith("changes.changerequest:"):
        change_id = int(p.ref.rsplit(":", 1)[1])
    return Collision(p.ref, p.kind, p.label, p.start_at, p.end_at, p.state, change_id, tuple(why))


# -- windows, risk, approvals --------------------------------------------------------------------


def window_violations(change: ChangeRequest) -> list[WindowViolation]:
    """Where the change's window breaks a window or freeze, per affected site."""
    return list(window_queries.violations_for(change.window_start, change.window_end, sorted(_ids(change, "sites"))))


def _history(change: ChangeRequest, service_ids: set[int]) -> tuple[int, int]:
    similar = ChangeRequest.objects.filter(state__in=sorted(rules.IMPLEMENTED_STATES)).filter(
        Q(type=change.type) | Q(services__in=sorted(service_ids))
    )
    if change.pk:
        similar = similar.exclude(pk=change.pk)
    counts = ChangeRequest.objects.filter(pk__in=similar.values("pk")).aggregate(
        n=Count("pk"), k=Count("pk", filter=FAILURE_Q)
    )
    return counts["n"] or 0, counts["k"] or 0


def _business_hours(change: ChangeRequest) -> tuple[risk.BusinessHoursHit, ...]:
    hits = []
    for site in sorted(change.sites.all(), key=lambda s: s.code):
        for lo, hi in risk.business_hours_overlap(
            change.window_start, change.window_end, site.time_zone, site.business_hours,
            site.holiday_country, site.holiday_subdivision,
        ):
            hits.append(risk.BusinessHoursHit(site.code, site.time_zone, lo, hi))
    return tuple(hits)


@dataclass(frozen=True)
class Evaluation:
    """A change's risk, collisions and window violations, computed together."""

    assessment: risk.Assessment
    collisions: list[Collision]
    violations: list[WindowViolation]


def evaluate(change: ChangeRequest) -> Evaluation:
    """Gather the facts and assess the change's risk (reads only)."""
    services = list(change.services.all())
    service_ids = {s.pk for s in services}
    edges = service_queries.all_edges()
    down_ids = set().union(*_downstream_map(service_ids, edges).values()) - service_ids if service_ids else set()
    downstream = Service.objects.filter(pk__in=down_ids).values_list("pk", "name", "criticality")
    found = collisions_for(change)
    violations = window_violations(change)
    n, k = _history(change, service_ids)
    plan = change.rollback_plan or None
    inputs = risk.RiskInputs(
        change_type=change.type,
        services=tuple(risk.ServiceFact(s.pk, s.name, s.criticality) for s in services),
        downstream=tuple(risk.ServiceFact(*row) for row in downstream),
        site_codes=tuple(sorted(s.code for s in change.sites.all())),
        client_names=tuple(sorted(c.name for c in change.clients.all())),
        window_minutes=max(1, int((change.window_end - change.window_start).total_seconds() // 60)),
        rollback_minutes=int(plan.get("duration_minutes") or 0) if plan else None,
        has_verification_plan=bool(change.verification_plan.strip()),
        similar_implemented=n,
        similar_failed=k,
        business_hours=_business_hours(change),
        collisions=tuple(f"{c.label} ({', '.join(c.reasons)})" for c in found),
        collision_refs=tuple(c.ref for c in found),
        violations=tuple(v.detail for v in violations),
    )
    return Evaluation(risk.assess(inputs), found, violations)


def service_client_names(change: ChangeRequest) -> dict[int, str]:
    """The clients whose services the change affects (they approve high-risk changes)."""
    return {s.client_id: s.client.name for s in change.services.select_related("client")}


def approval_status(change: ChangeRequest, risk_level: str, violations: list[WindowViolation]) -> approvals.Status:
    """What the change's approvals still lack, given its risk level and window violations."""
    decisions = [
        approvals.Decision(a.approver_id, a.capacity, a.decision, a.approver.client_id)
        for a in change.approvals.select_related("approver")
    ]
    return approvals.status(
        risk_level, change.type, service_client_names(change), decisions, [v.detail for v in violations]
    )


# -- change failure rate -------------------------------------------------------------------------

FAILURE_RATE_KEYS = {
    "service": ("services__id", "services__name"),
    "team": ("team", "team"),
    "region": ("sites__region__id", "sites__region__name"),
    "client": ("clients__id", "clients__name"),
}


def failure_rate(user: Any, by: str) -> list[dict[str, Any]]:
    """Implemented changes and failures (rolled back, failed, or caused an incident) per `by`."""
    key, label = FAILURE_RATE_KEYS[by]
    visible = scope(ChangeRequest.objects.filter(state__in=sorted(rules.IMPLEMENTED_STATES)), user)
    qs = ChangeRequest.objects.filter(pk__in=visible.values("pk"))
    if getattr(user, "is_client_user", False) and by in ("service", "client"):
        # Shared changes must not show another client's services or name.
        qs = qs.filter(**{"services__client_id" if by == "service" else "clients__id": user.client_id})
    rows = (
        qs.exclude(**{f"{key}__isnull": True}) if by != "team" else qs
    ).values(key, label).annotate(
        implemented=Count("pk", distinct=True), failures=Count("pk", filter=FAILURE_Q, distinct=True)
    ).order_by(label)
    return [
        {
            "key": str(r[key]),
            "label": r[label] or "(no team)",
            "implemented": r["implemented"],
            "failures": r["failures"],
            "rate": round(r["failures"] / r["implemented"], 4) if r["implemented"] else 0.0,
        }
        for r in rows
    ]


# -- the iCalendar feed of changes -------------------------------------------------------------


@dataclass(frozen=True)
class FeedChange:
    """One change as a calendar shows it."""

    ref: str
    change_id: int
    title: str
    type: str
    state: str
    start_at: dt.datetime
    end_at: dt.datetime
    site_names: list[str]
    service_names: list[str]


def feed_site(user: Any, site_id: int) -> Site:
    """The site a feed is for, if the user may see it, else NotFound."""
    return get_scoped(Site.objects.all(), user, pk=site_id)


def feed_client(user: Any, client_id: int) -> Client:
    """The client a feed is for, if the user may see it (a client user: only their own), else NotFound."""
    return get_scoped(Client.objects.all(), user, pk=client_id)


def feed_changes(user: Any, *, site: Site | None = None, client: Client | None = None) -> list[FeedChange]:
    """Planned and recently implemented changes at a site or for a client, from the schedule, in the feed horizon."""
    now = clock.now()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    if site is not None:
        planned = schedule.overlapping(start, end, site_ids=[site.pk], kinds=["change"])
    elif client is not None:
        planned = schedule.overlapping(
            start, end,
            site_ids=client.sites.values_list("id", flat=True),
            service_ids=Service.objects.filter(client=client).values_list("id", flat=True),
            kinds=["change"],
        )
    else:
        return []
    planned = [p for p in planned if p.state in FEED_STATES]
    ids: dict[int, schedule.Planned] = {}
    for p in planned:
        change_id = _change_id(p.ref)
        if change_id is not None:
            ids[change_id] = p
    changes = scope(ChangeRequest.objects.filter(pk__in=ids), user)
    if client is not None:
        changes = changes.filter(clients=client)
    found = {i: (kind, title) for i, kind, title in changes.values_list("id", "type", "title")}
    # Only the sites and services the reader may see are named (a shared change: their own part).
    names = _names((p for i, p in ids.items() if i in found), user)
    return [
        FeedChange(
            ref=p.ref, change_id=i, title=client_view.text(found[i][1], user), type=found[i][0], state=p.state,
            start_at=p.start_at, end_at=p.end_at,
            site_names=sorted(names[0][s] for s in p.site_ids if s in names[0]),
            service_names=sorted(names[1][s] for s in p.service_ids if s in names[1]),
        )
        for i, p in ids.items() if i in found
    ]


def _change_id(ref: str) -> int | None:
    prefix = "changes.changerequest:"
    return int(ref[len(prefix):]) if ref.startswith(prefix) and ref[len(prefix):].isdigit() else None


def _names(planned: Iterable[schedule.Planned], user: Any) -> tuple[dict[int, str], dict[int, str]]:
    items = list(planned)
    site_ids = {s for p in items for s in p.site_ids}
    service_ids = {s for p in items for s in p.service_ids}
    sites = {
        i: f"{c} · {n}" for i, c, n in scope(Site.objects.filter(id__in=site_ids), user).values_list("id", "code", "name")
    }
    services = dict(scope(Service.objects.filter(id__in=service_ids), user).values_list("id", "name"))
    return sites, services
