"""Change windows and freezes, and the iCalendar feeds (thin edges: parse, call one service or query, render)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from opsdesk.accounts.services import authenticate_token
from opsdesk.core import clock
from opsdesk.core.api import answers, problem, require_write
from opsdesk.core.errors import InvalidInput
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id

from . import feeds, window_queries, window_services
from .window_schemas import ChangeWindowIn, ChangeWindowOut, ChangeWindowPatch, WindowKind

router = Router()
TAG = "change windows"
FEED_SCOPES = frozenset({"calendar", "read"})
ICS = "text/calendar; charset=utf-8"


@router.get("/change-windows", response=list[ChangeWindowOut], tags=[TAG])
@paginate(Page)
def list_change_windows(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    kind: WindowKind | None = None,
    site: Id | None = Query(None, description="Rules scoped to this site"),
    region: Id | None = Query(None, description="Rules scoped to this region"),
    client: Id | None = Query(None, description="Rules scoped to this client"),
    applies_to: Id | None = Query(None, description="Every rule governing this site: its own, its region's, its clients'"),
):
    """Windows (change allowed) and freezes (change forbidden); staff only."""
    return window_queries.list_windows(request.user, kind, site, region, client, applies_to)


@router.post("/change-windows", response={201: ChangeWindowOut}, tags=[TAG])
@answers(409)
def create_change_window(request: HttpRequest, payload: ChangeWindowIn):  # type: ignore[no-untyped-def]
    """Add a window or freeze for a site, region or client; times are each site's local time."""
    require_write(request, "change_windows.write")
    window = window_services.create_window(payload.dict(), actor=request.user)
    return Status(201, window_queries.get_window(request.user, window.pk))


add_object_routes(router, ObjectRoutes(
    collection="change-windows", noun="change window", tag=TAG, permission="change_windows.write",
    out=ChangeWindowOut, get=window_queries.get_window, patch=ChangeWindowPatch,
    update=window_services.update_window, delete=window_services.delete_window,
))


def _feed_user(request: HttpRequest, token: str | None) -> Any:
    """The user behind a feed token with the calendar (or read) scope, or None (429 when throttled)."""
    user = authenticate_token(token, request) if token else None
    if user is None or not FEED_SCOPES & set(getattr(user, "token_scopes", ())):
        return None
    return user


ICS_ANSWER = {"responses": {200: {"description": "An iCalendar (RFC 5545) feed",
                                    "content": {"text/calendar": {"schema": {"type": "string"}}}}}}


def _unauthorized() -> HttpResponse:
    return problem(401, "Unauthorized", "Add ?token=<API token with the 'calendar' scope> to the feed URL.")


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@router.get("/calendars/changes.ics", auth=None, tags=["calendars"], openapi_extra=ICS_ANSWER,
            summary="iCalendar feed of changes at a site or for a client")
@answers(401, 404)
def changes_feed(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
    site: Id | None = None,
    client: Id | None = None,
):
    """Planned changes (and those implemented in the last 30 days), 180 days ahead, for a calendar client."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    if (site is None) == (client is None):
        raise InvalidInput("Give exactly one of site or client.", errors=[{"field": "site", "message": "site or client"}])
    if site is not None:
        at_site = window_queries.feed_site(user, site)
        changes = window_queries.feed_changes(user, site=at_site)
        name = f"Changes at {at_site.code}"
    else:
        for_client = window_queries.feed_client(user, client)  # type: ignore[arg-type]
        changes = window_queries.feed_changes(user, client=for_client)
        name = f"Changes for {for_client.name}"
    body = feeds.changes_calendar(changes, name=name, base_url=request.build_absolute_uri("/"), stamp=clock.now())
    return _ics(body, "changes.ics")


@router.get("/calendars/windows.ics", auth=None, tags=["calendars"], openapi_extra=ICS_ANSWER,
            summary="iCalendar feed of a site's change windows and freezes")
@answers(401, 404)
def windows_feed(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    site: Id,
    token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
):
    """The site's window and freeze occurrences in the next 180 days (staff only)."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    target = window_queries.feed_window_site(user, site)
    now = clock.now()
    occurrences = window_queries.occurrences_for_site(target, now, now + window_queries.FEED_AHEAD)
    body = feeds.windows_calendar(occurrences, name=f"Change windows at {target.code}", stamp=now)
    return _ics(body, "windows.ics")
