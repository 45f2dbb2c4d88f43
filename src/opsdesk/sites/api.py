"""Regions, sites and site requirements API (thin: parse, call one service or query, render)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id, Instant

from . import queries, services
from .models import Region, Site, SiteRequirement
from .queries import BusinessTime
from .schemas import (
    MAX_ADD_SECONDS,
    BusinessTimeOut,
    RegionIn,
    RegionOut,
    RegionPatch,
    RequirementIn,
    RequirementOut,
    RequirementPatch,
    SiteClockOut,
    SiteIn,
    SiteOut,
    SitePatch,
)

router = Router()


@router.get("/regions", response=list[RegionOut], tags=["regions"])
@paginate(Page)
def list_regions(request: HttpRequest) -> QuerySet[Region]:
    """All regions."""
    return queries.list_regions(request.user)


@router.post("/regions", response={201: RegionOut}, tags=["regions"])
@answers(409)
def create_region(request: HttpRequest, payload: RegionIn) -> Status[Region]:
    """Add a region."""
    require_write(request, "sites.write")
    return Status(201, services.create_region(payload.dict(), actor=signed_in(request.user)))


@router.get("/sites", response=list[SiteOut], tags=["sites"])
@paginate(Page)
def list_sites(
    request: HttpRequest,
    region: str | None = Query(None, description="Region code or id, e.g. EMEA"),
    kind: str | None = None,
    client: Id | None = None,
    time_zone: str | None = None,
    q: str | None = Query(None, description="Search in code and name"),
) -> QuerySet[Site]:
    """Sites you may see."""
    return queries.list_sites(request.user, region=region, kind=kind, client=client, time_zone=time_zone, q=q)


@router.post("/sites", response={201: SiteOut}, tags=["sites"])
@answers(409)
def create_site(request: HttpRequest, payload: SiteIn) -> Status[Site]:
    """Add a site."""
    require_write(request, "sites.write")
    site = services.create_site(payload.dict(), actor=signed_in(request.user))
    return Status(201, queries.get_site(request.user, site.pk))


@router.get("/sites/{int:site_id}/clock", response=SiteClockOut, tags=["sites"])
def site_clock(request: HttpRequest, site_id: Id, days_ahead: int = Query(90, ge=0, le=730)) -> dict[str, object]:
    """The site's local time now, whether it is open, and public holidays ahead."""
    site = queries.get_site(request.user, site_id)
    c = queries.site_clock(site, days_ahead=days_ahead)
    return {
        "site": site.pk,
        "time_zone": site.time_zone,
        "local_time": c.local_time.replace(microsecond=0),
        "utc_offset": c.utc_offset,
        "open_now": c.open_now,
        "holidays_ahead": [{"date": d, "name": n} for d, n in c.holidays_ahead],
    }


_START = "Required. ISO 8601 with its UTC offset, e.g. 2026-03-27T16:00:00+00:00 (encode '+' as %2B)."
_ADD = "Answer the earliest instant at which this many business seconds will have elapsed."


@router.get("/sites/{int:site_id}/business-time", response=BusinessTimeOut, exclude_none=True, tags=["sites"])
def business_time(
    request: HttpRequest,
    site_id: Id,
    start: Instant | None = Query(None, description=_START),
    end: Instant | None = Query(None, description="Answer the business seconds in [start, end)."),
    add_seconds: int | None = Query(None, ge=0, le=MAX_ADD_SECONDS, description=_ADD),
) -> BusinessTime:
    """The site's business-time arithmetic: `?start&end` -> business_seconds; `?start&add_seconds` -> due."""
    site = queries.get_site(request.user, site_id)
    return queries.business_time(site, start=start, end=end, add_seconds=add_seconds)


@router.get("/site-requirements", response=list[RequirementOut], tags=["site requirements"])
@paginate(Page)
def list_requirements(
    request: HttpRequest, site: Id | None = None, kind: str | None = None, category: str | None = None
) -> QuerySet[SiteRequirement]:
    """Site requirements you may see; `category` keeps those that apply to that work category."""
    return queries.list_site_requirements(request.user, site=site, kind=kind, category=category)


@router.post("/site-requirements", response={201: RequirementOut}, tags=["site requirements"])
@answers(404, 409)
def create_requirement(request: HttpRequest, payload: RequirementIn) -> Status[SiteRequirement]:
    """Add a rule to a site."""
    require_write(request, "sites.write")
    queries.get_site(request.user, payload.site)
    return Status(201, services.create_requirement(payload.dict(), actor=signed_in(request.user)))


add_object_routes(router, ObjectRoutes(
    collection="regions", noun="region", tag="regions", permission="sites.write", out=RegionOut,
    get=queries.get_region, patch=RegionPatch, update=services.update_region, delete=services.delete_region,
))
add_object_routes(router, ObjectRoutes(
    collection="sites", noun="site", tag="sites", permission="sites.write", out=SiteOut,
    get=queries.get_site, patch=SitePatch, update=services.update_site, delete=services.delete_site,
))
add_object_routes(router, ObjectRoutes(
    collection="site-requirements", noun="site requirement", tag="site requirements",
    permission="sites.write", out=RequirementOut, get=queries.get_site_requirement,
    patch=RequirementPatch, update=services.update_requirement, delete=services.delete_requirement,
))
