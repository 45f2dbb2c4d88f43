"""Regions, sites and site requirements API (thin: parse, call one service or query, render)."""

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from opsdesk.core.api import require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import add_timeline
from opsdesk.core.schemas import Id

from . import queries, services
from .schemas import (
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
def list_regions(request: HttpRequest):  # type: ignore[no-untyped-def]
    """All regions."""
    return queries.list_regions(request.user)


@router.post("/regions", response={201: RegionOut}, tags=["regions"])
def create_region(request: HttpRequest, payload: RegionIn):  # type: ignore[no-untyped-def]
    """Add a region."""
    require_write(request, "sites.write")
    return Status(201, services.create_region(payload.dict(), actor=request.user))


@router.get("/regions/{int:region_id}", response=RegionOut, tags=["regions"])
def get_region(request: HttpRequest, region_id: Id):  # type: ignore[no-untyped-def]
    """One region."""
    return queries.get_region(request.user, region_id)


@router.patch("/regions/{int:region_id}", response=RegionOut, tags=["regions"])
def update_region(request: HttpRequest, region_id: Id, payload: RegionPatch):  # type: ignore[no-untyped-def]
    """Change a region."""
    region = queries.get_region(request.user, region_id)
    require_write(request, "sites.write")
    return services.update_region(region, payload.dict(exclude_unset=True), actor=request.user)


@router.delete("/regions/{int:region_id}", response={204: None}, tags=["regions"])
def delete_region(request: HttpRequest, region_id: Id):  # type: ignore[no-untyped-def]
    """Remove a region without sites or engineers."""
    region = queries.get_region(request.user, region_id)
    require_write(request, "sites.write")
    services.delete_region(region, actor=request.user)
    return Status(204, None)


@router.get("/sites", response=list[SiteOut], tags=["sites"])
@paginate(Page)
def list_sites(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    region: str | None = Query(None, description="Region code or id, e.g. EMEA"),
    kind: str | None = None,
    client: Id | None = None,
    time_zone: str | None = None,
    q: str | None = Query(None, description="Search in code and name"),
):
    """Sites you may see."""
    return queries.list_sites(request.user, region=region, kind=kind, client=client, time_zone=time_zone, q=q)


@router.post("/sites", response={201: SiteOut}, tags=["sites"])
def create_site(request: HttpRequest, payload: SiteIn):  # type: ignore[no-untyped-def]
    """Add a site."""
    require_write(request, "sites.write")
    site = services.create_site(payload.dict(), actor=request.user)
    return Status(201, queries.get_site(request.user, site.pk))


@router.get("/sites/{int:site_id}", response=SiteOut, tags=["sites"])
def get_site(request: HttpRequest, site_id: Id):  # type: ignore[no-untyped-def]
    """One site."""
    return queries.get_site(request.user, site_id)


@router.patch("/sites/{int:site_id}", response=SiteOut, tags=["sites"])
def update_site(request: HttpRequest, site_id: Id, payload: SitePatch):  # type: ignore[no-untyped-def]
    """Change a site."""
    site = queries.get_site(request.user, site_id)
    require_write(request, "sites.write")
    services.update_site(site, payload.dict(exclude_unset=True), actor=request.user)
    return queries.get_site(request.user, site_id)


@router.delete("/sites/{int:site_id}", response={204: None}, tags=["sites"])
def delete_site(request: HttpRequest, site_id: Id):  # type: ignore[no-untyped-def]
    """Remove a site nothing refers to."""
    site = queries.get_site(request.user, site_id)
    require_write(request, "sites.write")
    services.delete_site(site, actor=request.user)
    return Status(204, None)


@router.get("/sites/{int:site_id}/clock", response=SiteClockOut, tags=["sites"])
def site_clock(request: HttpRequest, site_id: Id, days_ahead: int = Query(90, ge=0, le=730)):  # type: ignore[no-untyped-def]
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


@router.get("/site-requirements", response=list[RequirementOut], tags=["site requirements"])
@paginate(Page)
def list_requirements(  # type: ignore[no-untyped-def]
    request: HttpRequest, site: Id | None = None, kind: str | None = None, category: str | None = None
):
    """Site requirements you may see; `category` keeps those that apply to that work category."""
    return queries.list_site_requirements(request.user, site=site, kind=kind, category=category)


@router.post("/site-requirements", response={201: RequirementOut}, tags=["site requirements"])
def create_requirement(request: HttpRequest, payload: RequirementIn):  # type: ignore[no-untyped-def]
    """Add a rule to a site."""
    require_write(request, "sites.write")
    queries.get_site(request.user, payload.site)
    return Status(201, services.create_requirement(payload.dict(), actor=request.user))


@router.get("/site-requirements/{int:req_id}", response=RequirementOut, tags=["site requirements"])
def get_requirement(request: HttpRequest, req_id: Id):  # type: ignore[no-untyped-def]
    """One site requirement."""
    return queries.get_site_requirement(request.user, req_id)


@router.patch("/site-requirements/{int:req_id}", response=RequirementOut, tags=["site requirements"])
def update_requirement(request: HttpRequest, req_id: Id, payload: RequirementPatch):  # type: ignore[no-untyped-def]
    """Change a site requirement."""
    req = queries.get_site_requirement(request.user, req_id)
    require_write(request, "sites.write")
    return services.update_requirement(req, payload.dict(exclude_unset=True), actor=request.user)


@router.delete("/site-requirements/{int:req_id}", response={204: None}, tags=["site requirements"])
def delete_requirement(request: HttpRequest, req_id: Id):  # type: ignore[no-untyped-def]
    """Remove a site requirement."""
    req = queries.get_site_requirement(request.user, req_id)
    require_write(request, "sites.write")
    services.delete_requirement(req, actor=request.user)
    return Status(204, None)


add_timeline(router, "regions", queries.get_region, "regions")
add_timeline(router, "sites", queries.get_site, "sites")
add_timeline(router, "site-requirements", queries.get_site_requirement, "site requirements")

