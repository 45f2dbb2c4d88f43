"""Reads of work orders, scoped to the viewer: the queue (most urgent first), one work order, its
comments and handoffs as the viewer may see them, an engineer's day, and the facts services check.

Client users see only their client's work orders, only client-visible comments, and only
client-visible timeline entries (core.routing's timeline endpoint filters those).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet

from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from opsdesk.core.queries import flag, id_or_code
from opsdesk.core.tenancy import get_scoped, scope
from opsdesk.people.models import Certification, Engineer, Skill
from opsdesk.services.models import Service
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.sites.rules import applies_to
from opsdesk.tenancy.models import Client

from . import rules
from .models import Comment, Handoff, Part, Visit, WorkOrder

# Shown to the engineer at check-in: what the site expects on the day.
CHECK_IN_KINDS = ("method_statement", "local_standard", "ppe", "escort")


def _with_relations(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return qs.select_related("site", "site__region", "client", "owner", "engineer", "change").prefetch_related(
        "services", "required_skills", "required_certifications", Prefetch("parts", queryset=Part.objects.order_by("id")),
    )


def urgency_order(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """At risk first, then priority (p1 first), then the soonest window (none last), then newest.

    The indexes `wo_queue` and `wo_queue_blocked` hold this order, so a page is an index range scan.
    """
    return qs.order_by("-at_risk", "priority", "queue_at", "-id")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def filter_work_orders(
    user: Any,
    *,
    state: str | None = None,
    site: int | None = None,
    region: str | None = None,
    client: int | None = None,
    owner: int | None = None,
    blocked: bool | None = None,
    at_risk: bool | None = None,
    due_before: dt.datetime | None = None,
    q: str | None = None,
    finished: bool | None = None,
) -> QuerySet[WorkOrder]:
    """Work orders the user may see, filtered, unordered (for counting and keyset paging).

    `finished=False` is the working queue: everything but verified, closed and cancelled work.
    """
    qs = scope(WorkOrder.objects.all(), user)
    # Only open work is ever blocked or at risk (transitions.refresh_readiness), so asking for
    # blocked or at-risk work already excludes finished work: the narrower index answers alone.
    if finished is not None and not (finished is False and (blocked or at_risk)):
        qs = qs.filter(flag("finished", finished))
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",") if s.strip()])
    if site:
        qs = qs.filter(site_id=site)
    if region:
        qs = qs.filter(id_or_code(region, prefix="site__region__"))
    if client:
        qs = qs.filter(client_id=client)
    if owner:
        qs = qs.filter(owner_id=owner)
    if blocked is not None:
        qs = qs.filter(flag("blocked", blocked))
    if at_risk is not None:
        qs = qs.filter(flag("at_risk", at_risk))
    if due_before:
        # "Due": the work's window starts, or a blocker's needed-by passes, before the instant.
        bound = _aware(due_before)
        qs = qs.filter(Q(window_start__lt=bound) | Q(next_needed_by__lt=bound))
    if q and q.strip():
        text = q.strip()
        match = Q(title__icontains=text)
        digits = text.upper().removeprefix("WO-")
        if digits.isdigit():
            match |= Q(pk=int(digits))
        qs = qs.filter(match)
    return qs


def list_work_orders(user: Any, **filters: Any) -> QuerySet[WorkOrder]:
    """Work orders the user may see, filtered, most urgent first, with their relations."""
    return _with_relations(urgency_order(filter_work_orders(user, **filters)))


COUNT_CAP = 10_000


# What a queue row shows (the page's table): the work order, its client, site and owner.
QUEUE_ROW_FIELDS = (
    "id", "title", "category", "state", "priority", "window_start", "window_end", "team", "rework_of_id", "blocked",
    "at_risk", "next_needed_by", "readiness", "client__name", "site__code", "site__time_zone", "owner__username",
    "owner__first_name", "owner__last_name",
)


def queue_rows(ids: list[int]) -> list[WorkOrder]:
    """The work orders with these ids as the queue page shows them, in the order of `ids`."""
    rows = WorkOrder.objects.select_related("client", "site", "owner").only(*QUEUE_ROW_FIELDS).in_bulk(ids)
    return [rows[i] for i in ids if i in rows]


class Queue:
    """The queue as pages and the API read it, fast at any depth of a million work orders.

    A slice takes the page's ids in urgency order from the `wo_queue` indexes (an index walk, even
    for a deep offset), then `load`s just those rows (`queue_rows` for the page by default; the
    API passes `rows.present_ids`). Its length is counted up to COUNT_CAP (an index
    scan of at most that many entries); `capped` says there are more.
    """

    def __init__(self, filtered: QuerySet[WorkOrder], load: Callable[[list[int]], list[Any]] = queue_rows) -> None:
        self.filtered = filtered
        self.load = load
        self._count: int | None = None

    def count(self) -> int:
        """How many work orders match, up to COUNT_CAP."""
        if self._count is None:
            self._count = self.filtered.order_by()[: COUNT_CAP + 1].count()
        return min(self._count, COUNT_CAP)

    @property
    def capped(self) -> bool:
        """Whether more than COUNT_CAP work orders match."""
        self.count()
        return (self._count or 0) > COUNT_CAP

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        return self.load(list(urgency_order(self.filtered).values_list("id", flat=True)[index]))

    def for_keyset(self) -> QuerySet[WorkOrder]:
        """The matching work orders, for keyset (cursor) paging by id; pages are read with `load`."""
        return self.filtered


def queue(user: Any, *, load: Callable[[list[int]], list[Any]] = queue_rows, **filters: Any) -> Queue:
    """The queue of work orders the user may see, filtered, most urgent first."""
    return Queue(filter_work_orders(user, **filters), load)


def get_work_order(user: Any, wo_id: int) -> WorkOrder:
    """One work order the user may see, with its relations, or NotFound."""
    return get_scoped(_with_relations(WorkOrder.objects.all()), user, pk=wo_id)


def list_comments(user: Any, wo: WorkOrder, *, visibility: str | None = None) -> QuerySet[Comment]:
    """A work order's comments, oldest first; client users only ever get the client-visible ones."""
    qs = scope(Comment.objects.filter(work_order=wo), user).select_related("author")
    if getattr(user, "is_client_user", False) or visibility == Comment.Visibility.CLIENT:
        qs = qs.filter(visibility=Comment.Visibility.CLIENT)
    elif visibility:
        qs = qs.filter(visibility=visibility)
    return qs.order_by("created_at", "id")


def list_handoffs(user: Any, wo: WorkOrder) -> QuerySet[Handoff]:
    """A work order's handoffs, oldest first, with both people."""
    return scope(Handoff.objects.filter(work_order=wo), user).select_related("from_user", "to_user").order_by(
        "created_at", "id"
    )


def get_handoff(user: Any, wo: WorkOrder, handoff_id: int) -> Handoff:
    """One handoff of a work order the user may see, or NotFound."""
    return get_scoped(Handoff.objects.filter(work_order=wo).select_related("to_user", "from_user"), user, pk=handoff_id)


def my_work(user: Any, day: dt.date | None = None) -> QuerySet[WorkOrder]:
    """Work assigned to the user's engineer whose window touches `day` in the engineer's local time.

    `day` defaults to today in the engineer's zone. Unfinished earlier work that is still on the
    way or on site is included too, so nothing started yesterday drops off the list.
    """
    engineer = Engineer.objects.filter(user_id=user.pk).first() if getattr(user, "pk", None) else None
    if engineer is None:
        return WorkOrder.objects.none()
    zone = ZoneInfo(engineer.time_zone or "UTC")
    day = day or clock.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    touching = Q(window_start__lt=end, window_end__gt=start)
    ongoing = Q(state__in=["en_route", "on_site"], window_start__lt=end)
    qs = WorkOrder.objects.filter(engineer=engineer).filter(touching | ongoing).exclude(state__in=["cancelled", "draft"])
    return _with_relations(qs).order_by(F("window_start").asc(nulls_last=True), "id")


def check_in_briefing(wo: WorkOrder) -> list[SiteRequirement]:
    """The site's method statement, local standards, PPE and escort rules that apply to this work."""
    reqs = SiteRequirement.objects.filter(site_id=wo.site_id, kind__in=CHECK_IN_KINDS).order_by("kind", "id")
    return [r for r in reqs if applies_to(r.categories or [], wo.category)]


# -- facts the services check, among what the actor may see ---------------------------------------


def list_visits(user: Any, wo: WorkOrder) -> QuerySet[Visit]:
    """The work order's visits, oldest first (check-in place and window, check-out outcome)."""
    return scope(Visit.objects.filter(work_order=wo), user).select_related("engineer")


def list_failed_visit_reasons(
    user: Any, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Visits checked out not completed (on-site conditions were not as expected), counted per reason
    per site and region; checked out in [since, until) when given. Most frequent first."""
    qs = scope(Visit.objects.filter(outcome=Visit.Outcome.NOT_COMPLETED), user)
    if since is not None:
        qs = qs.filter(checked_out_at__gte=since)
    if until is not None:
        qs = qs.filter(checked_out_at__lt=until)
    labels = dict(Visit.FailureReason.choices)
    rows = (
        qs.values("failure_reason", "work_order__site_id", "work_order__site__code", "work_order__site__region__code")
        .annotate(count=Count("id"))
        .order_by("-count", "work_order__site__code", "failure_reason")
    )
    return [
        {
            "region": r["work_order__site__region__code"], "site_id": r["work_order__site_id"],
            "site": r["work_order__site__code"], "reason": r["failure_reason"],
            "label": str(labels.get(r["failure_reason"], r["failure_reason"])), "count": r["count"],
        }
        for r in rows
    ]


def visible_client(user: Any, client_id: int) -> Client | None:
    """The client if the user may see it."""
    return scope(Client.objects.filter(pk=client_id), user).first()


def visible_site(user: Any, site_id: int) -> Site | None:
    """The site if the user may see it."""
    return scope(Site.objects.filter(pk=site_id), user).first()


def site_serves(site: Site, client_id: int) -> bool:
    """Whether the site serves the client."""
    return site.clients.filter(pk=client_id).exists()


def client_services(client_id: int, ids: list[int]) -> dict[int, Service]:
    """The services among `ids` that belong to the client, by id."""
    return {s.pk: s for s in Service.objects.filter(pk__in=ids, client_id=client_id)}


def skills_by_code(codes: list[str]) -> dict[str, Skill]:
    """Skills by code."""
    return {s.code: s for s in Skill.objects.filter(code__in=codes)}


def certifications_by_code(codes: list[str]) -> dict[str, Certification]:
    """Certifications by code."""
    return {c.code: c for c in Certification.objects.filter(code__in=codes)}


def visible_change(user: Any, change_id: int) -> ChangeRequest | None:
    """The change if the user may see it."""
    return scope(ChangeRequest.objects.filter(pk=change_id), user).first()


def visible_work_order(user: Any, wo_id: int) -> WorkOrder | None:
    """Another work order (e.g. the original of a rework) if the user may see it."""
    return scope(WorkOrder.objects.filter(pk=wo_id), user).first()


def default_request_owner() -> Any:
    """Who owns a client's new request: the first active service desk user, else the first active admin."""
    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(role="service_desk").order_by("id").first()
        or users.filter(Q(role="admin") | Q(is_superuser=True)).order_by("id").first()
    )


def users_for_owner(wo: WorkOrder, owner: str) -> list[Any]:
    """Who acts for a blocker's owner role on this work order (see tasks.notify_at_risk)."""
    users = get_user_model().objects.filter(is_active=True)
    if owner == "client":
        return list(users.filter(role="client", client_id=wo.client_id))
    if owner == "dispatch":
        return list(users.filter(role="dispatcher"))
    if owner == "engineer" and wo.engineer_id:
        found = list(users.filter(engineer__id=wo.engineer_id))
        if found:
            return found
        return list(users.filter(role="dispatcher"))
    # service desk and site: the named owner coordinates with the site.
    return list(users.filter(pk=wo.owner_id))


def open_states() -> list[str]:
    """States in which readiness is maintained."""
    return sorted(rules.OPEN_STATES)


CLIENT_WORDING = {
    "people": "We are finding an engineer with the skills, certifications and site access this work needs.",
    "engineer": "The engineer we planned cannot do this visit; we are choosing another.",
}


def for_client(data: dict[str, Any]) -> dict[str, Any]:
    """Readiness as a client user sees it: engineers' names and credentials stay internal."""
    blockers = [
        {**b, "detail": CLIENT_WORDING.get(b["kind"], b["detail"])} for b in data.get("blockers", [])
    ]
    return {**data, "blockers": blockers}
