"""Reads of change windows and freezes: scoped lists, the per-site calendars checks need, feeds.

`violations_for` is what the change lifecycle calls before approval; it loads everything in
three queries and leaves the decision to the pure `windows.check`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from opsdesk.core import clock, schedule
from opsdesk.core.errors import NotFound
from opsdesk.core.tenancy import get_scoped, scope
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from . import client_view, windows
from .models import ChangeRequest, ChangeWindow
from .rules import IMPLEMENTED_STATES, PLANNED_STATES
from .windows import SiteCalendar, WindowRule, WindowViolation

FEED_PAST = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=180)
FEED_STATES = PLANNED_STATES | IMPLEMENTED_STATES
_RULE_FIELDS = (
    "id", "kind", "name", "site_id", "region_id", "client_id", "start_on", "start_time", "duration_minutes", "rrule",
)


# --- the check -------------------------------------------------------------------------------


def site_calendars(site_ids: Iterable[int]) -> list[SiteCalendar]:
    """What the window check needs about each site (two queries: sites, their clients)."""
    ids = set(site_ids)
    if not ids:
        return []
    clients: dict[int, set[int]] = defaultdict(set)
    for site_id, client_id in Site.clients.through.objects.filter(site_id__in=ids).values_list("site_id", "client_id"):
        clients[site_id].add(client_id)
    return [
        SiteCalendar(id=i, code=code, time_zone=tz, region_id=region, client_ids=frozenset(clients[i]))
        for i, code, tz, region in Site.objects.filter(id__in=ids).order_by("code").values_list(
            "id", "code", "time_zone", "region_id"
        )
    ]


def rules_for(sites: list[SiteCalendar]) -> list[WindowRule]:
    """Every window and freeze that governs any of the sites (one query)."""
    if not sites:
        return []
    q = (
        Q(site_id__in={s.id for s in sites})
        | Q(region_id__in={s.region_id for s in sites})
        | Q(client_id__in={c for s in sites for c in s.client_ids})
    )
    return [WindowRule(*row) for row in ChangeWindow.objects.filter(q).order_by("id").values_list(*_RULE_FIELDS)]


def violations_for(start: dt.datetime, end: dt.datetime, site_ids: Iterable[int]) -> list[WindowViolation]:
    """Why a change window [start, end) is not allowed at the given sites (empty: allowed). Three queries."""
    sites = site_calendars(site_ids)
    return windows.check(start, end, sites, rules_for(sites))


def as_rule(window: ChangeWindow) -> WindowRule:
    """A model row as the plain data the pure rules take."""
    return WindowRule(*(getattr(window, f) for f in _RULE_FIELDS))


# --- lists and objects -----------------------------------------------------------------------


def _with_scope_sites(qs: QuerySet[ChangeWindow]) -> QuerySet[ChangeWindow]:
    ordered = Site.objects.order_by("code").only("id", "code", "time_zone", "region_id")
    return qs.select_related("site", "region", "client").prefetch_related(
        Prefetch("region__sites", queryset=ordered), Prefetch("client__sites", queryset=ordered)
    )


def list_windows(
    user: Any,
    kind: str | None = None,
    site: int | None = None,
    region: int | None = None,
    client: int | None = None,
    applies_to: int | None = None,
) -> QuerySet[ChangeWindow]:
    """Windows and freezes (staff only: a client user gets an empty list), filtered by scope.

    `site`, `region`, `client` match the rule's own scope; `applies_to` (a site id) gives every
    rule that governs that site: its own, its region's and its clients'.
    """
    qs = scope(ChangeWindow.objects.all(), user)
    if kind:
        qs = qs.filter(kind=kind)
    if site:
        qs = qs.filter(site_id=site)
    if region:
        qs = qs.filter(region_id=region)
    if client:
        qs = qs.filter(client_id=client)
    if applies_to:
        cal = site_calendars([applies_to])
        if not cal:
            return qs.none()
        qs = qs.filter(
            Q(site_id=applies_to) | Q(region_id=cal[0].region_id) | Q(client_id__in=cal[0].client_ids)
        )
    return _with_scope_sites(qs).order_by("kind", "name", "id")


def get_window(user: Any, window_id: int) -> ChangeWindow:
    """One window or freeze (staff only), or NotFound."""
    return get_scoped(_with_scope_sites(ChangeWindow.objects.all()), user, pk=window_id)


def scope_sites(window: ChangeWindow) -> list[Site]:
    """The sites a rule governs, by code (uses what list_windows/get_window prefetched)."""
    if window.site_id:
        return [window.site] if window.site else []
    if window.region_id and window.region:
        return list(window.region.sites.all())
    if window.client_id and window.client:
        return list(window.client.sites.all())
    return []


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a window or freeze at a site, as aware local times."""

    rule: WindowRule
    site_id: int
    site_code: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime


def upcoming(window: ChangeWindow, count: int = 5) -> list[Occurrence]:
    """The next occurrences at the first site of the rule's scope (by code), in that site's zone."""
    sites = scope_sites(window)
    if not sites:
        return []
    site = sites[0]
    rule = as_rule(window)
    return [
        Occurrence(rule, site.pk, site.code, site.time_zone, s, e)
        for s, e in windows.next_occurrences(rule, site.time_zone, clock.now(), count)
    ]


def occurrences_for_site(site: Site, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Every window and freeze occurrence at a site overlapping [start, end), in the site's zone, by start."""
    cal = site_calendars([site.pk])
    if not cal:
        return []
    zone = windows.zone(site.time_zone)
    out = [
        Occurrence(rule, site.pk, site.code, site.time_zone, s.astimezone(zone), e.astimezone(zone))
        for rule in windows.applicable(cal[0], rules_for(cal))
        for s, e in windows.occurrences(rule, site.time_zone, start, end)
    ]
    return sorted(out, key=lambda o: (o.start, o.rule.id))


# --- feeds -----------------------------------------------------------------------------------


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


def feed_window_site(user: Any, site_id: int) -> Site:
    """The site whose windows a feed shows: windows are internal, so a client user gets NotFound."""
    if getattr(user, "is_client_user", False):
        raise NotFound(f"No site matches pk={site_id!r}.")
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
