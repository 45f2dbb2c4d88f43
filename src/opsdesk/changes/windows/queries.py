"""Reads of change windows and freezes: scoped lists, the per-site calendars checks need, occurrences.

`violations_for` is what the change lifecycle calls before approval; it loads everything in
three queries and leaves the decision to the pure `rules.check`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from opsdesk.core import clock
from opsdesk.core.errors import NotFound
from opsdesk.core.tenancy import get_scoped, scope
from opsdesk.sites.models import Site

from . import rules
from .models import ChangeWindow
from .rules import SiteCalendar, WindowRule, WindowViolation

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
    return rules.check(start, end, sites, rules_for(sites))


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
        for s, e in rules.next_occurrences(rule, site.time_zone, clock.now(), count)
    ]


def occurrences_for_site(site: Site, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Every window and freeze occurrence at a site overlapping [start, end), in the site's zone, by start."""
    cal = site_calendars([site.pk])
    if not cal:
        return []
    zone = rules.zone(site.time_zone)
    out = [
        Occurrence(rule, site.pk, site.code, site.time_zone, s.astimezone(zone), e.astimezone(zone))
        for rule in rules.applicable(cal[0], rules_for(cal))
        for s, e in rules.occurrences(rule, site.time_zone, start, end)
    ]
    return sorted(out, key=lambda o: (o.start, o.rule.id))


# --- the windows feed -------------------------------------------------------------------------


def feed_window_site(user: Any, site_id: int) -> Site:
    """The site whose windows a feed shows: windows are internal, so a client user gets NotFound."""
    if getattr(user, "is_client_user", False):
        raise NotFound(f"No site matches pk={site_id!r}.")
    return get_scoped(Site.objects.all(), user, pk=site_id)
