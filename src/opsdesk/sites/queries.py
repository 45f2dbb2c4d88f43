"""Reads of regions, sites and site requirements, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from opsdesk.core import clock
from opsdesk.core.errors import InvalidInput, field_error
from opsdesk.core.queries import id_or_code
from opsdesk.core.tenancy import filters_hidden, get_scoped, scope
from opsdesk.tenancy.models import Client

from . import businesstime, rules
from .models import Region, Site, SiteRequirement


def list_regions(user: Any) -> QuerySet[Region]:
    """All regions (reference data)."""
    return scope(Region.objects.all(), user).order_by("code")


def get_region(user: Any, region_id: int) -> Region:
    """One region, or NotFound."""
    return get_scoped(Region.objects.all(), user, pk=region_id)


def list_sites(
    user: Any,
    *,
    region: str | None = None,
    kind: str | None = None,
    client: int | None = None,
    time_zone: str | None = None,
    q: str | None = None,
) -> QuerySet[Site]:
    """Sites the user may see, filtered; relations fetched in bulk."""
    qs = scope(Site.objects.select_related("region"), user).prefetch_related("clients")
    if filters_hidden(user, client=(Client.objects.all(), client)):
        return qs.none()
    if region:
        qs = qs.filter(id_or_code(region, prefix="region__"))
    if kind:
        qs = qs.filter(kind=kind)
    if client:
        qs = qs.filter(clients__id=client)
    if time_zone:
        qs = qs.filter(time_zone=time_zone)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    return qs.order_by("code")


def get_site(user: Any, site_id: int) -> Site:
    """One site the user may see, with its requirements, or NotFound."""
    qs = Site.objects.select_related("region").prefetch_related(
        "clients", Prefetch("requirements", queryset=SiteRequirement.objects.order_by("kind", "id"))
    )
    return get_scoped(qs, user, pk=site_id)


def list_site_requirements(
    user: Any, *, site: int | None = None, kind: str | None = None, category: str | None = None
) -> QuerySet[SiteRequirement]:
    """Site requirements the user may see."""
    qs = scope(SiteRequirement.objects.select_related("site"), user)
    if site:
        qs = qs.filter(site_id=site)
    if kind:
        qs = qs.filter(kind=kind)
    reqs = qs.order_by("site__code", "kind", "id")
    if category:
        ids = [r.pk for r in reqs if rules.applies_to(r.categories, category)]
        reqs = reqs.filter(pk__in=ids)
    return reqs


def get_site_requirement(user: Any, requirement_id: int) -> SiteRequirement:
    """One site requirement the user may see, or NotFound."""
    return get_scoped(SiteRequirement.objects.select_related("site"), user, pk=requirement_id)


@dataclass(frozen=True)
class SiteClock:
    """What a person needs to know about a site's time right now."""

    local_time: dt.datetime
    utc_offset: str
    open_now: bool
    holidays_ahead: list[tuple[dt.date, str]]


def site_clock(site: Site, *, days_ahead: int = 90) -> SiteClock:
    """The site's local time, whether it is open, and public holidays in the coming days."""
    local = rules.local_now(site.time_zone, clock.now())
    offset = local.strftime("%z")
    return SiteClock(
        local_time=local,
        utc_offset=f"{offset[:3]}:{offset[3:]}",
        open_now=rules.is_open(site.business_hours, site.holiday_country, site.holiday_subdivision, local),
        holidays_ahead=rules.holidays_between(
            site.holiday_country, site.holiday_subdivision, local.date(),
            local.date() + dt.timedelta(days=days_ahead),
        ),
    )


@dataclass(frozen=True)
class BusinessTime:
    """An answer of the business-time endpoint: one of the two is set."""

    business_seconds: int | float | None = None
    due: dt.datetime | None = None


def business_time(
    site: Site, *, start: dt.datetime | None, end: dt.datetime | None = None, add_seconds: int | None = None
) -> BusinessTime:
    """Business seconds from start to end, or the instant (site-local) add_seconds after start."""
    if start is None:
        raise field_error("start", "required: an instant with its UTC offset, e.g. 2026-03-30T09:00:00+01:00")
    if (end is None) == (add_seconds is None):
        message = "give either end (for the business seconds between) or add_seconds (for the due instant)"
        raise InvalidInput(message, errors=[{"field": f, "message": message} for f in ("end", "add_seconds")])
    calendar = rules.calendar_for(site.time_zone, site.business_hours, site.holiday_country, site.holiday_subdivision)
    if end is not None:
        if end < start:
            raise field_error("end", "is before start")
        return BusinessTime(business_seconds=businesstime.elapsed(calendar, start, end))
    try:
        due = businesstime.due(calendar, start, add_seconds or 0)
    except ValueError as exc:
        raise field_error("add_seconds", str(exc)) from exc
    assert due is not None  # only a pause that never ends leaves no due instant
    return BusinessTime(due=due.astimezone(ZoneInfo(site.time_zone)))
