"""On-call API (thin edges): schedules, overrides, who is on call, final shifts, iCalendar feeds."""


import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.accounts.models import User
from opsdesk.accounts.services import authenticate_token
from opsdesk.core import clock, timeline
from opsdesk.core.api import answers, problem, require_write
from opsdesk.core.errors import InvalidInput, field_error
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page
from opsdesk.core.schemas import ActivityOut, Id

from . import feeds, queries, services
from .models import Override, Schedule
from .schemas import (
    OnCallOut,
    OncallOverrideIn,
    OncallOverrideOut,
    OncallScheduleIn,
    OncallScheduleOut,
    OncallSchedulePatch,
    OncallShiftsOut,
    OncallWhoOut,
)

router = Router(tags=["On-call"])
TAG = ["oncall"]
WRITE = "incidents.write"  # who may change on-call: those who run incident response
MAX_SPAN = dt.timedelta(days=62)
FEED_AHEAD = dt.timedelta(days=90)
FEED_SCOPES = frozenset({"calendar", "read"})
ICS = "text/calendar; charset=utf-8"
ICS_ANSWER = {"responses": {200: {"description": "An iCalendar (RFC 5545) feed",
                                    "content": {"text/calendar": {"schema": {"type": "string"}}}}}}


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)  # signed in: the endpoint's authentication


def _brief(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


@router.get("/oncall/schedules", response=list[OncallScheduleOut], tags=TAG, operation_id="list_oncall_schedules")
@paginate(Page)
def list_schedules(request: HttpRequest, q: str | None = Query(None, max_length=100),
                   team: str | None = Query(None, max_length=100)) -> QuerySet[Schedule]:
    """On-call schedules (staff only), by name."""
    return queries.list_schedules(request.user, q=q, team=team)


@router.post("/oncall/schedules", response={201: OncallScheduleOut}, tags=TAG, operation_id="create_oncall_schedule")
@answers(409)
def create_schedule(request: HttpRequest, payload: OncallScheduleIn) -> Status[Schedule]:
    """Add a schedule with its layers; 201 with its id."""
    require_write(request, WRITE)
    schedule = services.create_schedule(payload.dict(), _actor(request))
    return Status(201, queries.get_schedule(request.user, schedule.pk))


@router.get("/oncall/schedules/{int:schedule_id}", response=OncallScheduleOut, tags=TAG, operation_id="get_oncall_schedule")
def get_schedule(request: HttpRequest, schedule_id: Id) -> Schedule:
    """One schedule with its layers."""
    return queries.get_schedule(request.user, schedule_id)


@router.patch("/oncall/schedules/{int:schedule_id}", response=OncallScheduleOut, tags=TAG,
              operation_id="update_oncall_schedule")
@answers(409)
def update_schedule(request: HttpRequest, schedule_id: Id, payload: OncallSchedulePatch) -> Schedule:
    """Change a schedule; `layers`, when given, replaces them all."""
    schedule = queries.get_schedule(request.user, schedule_id)
    require_write(request, WRITE)
    services.update_schedule(schedule, payload.dict(exclude_unset=True), actor=_actor(request))
    return queries.get_schedule(request.user, schedule_id)


@router.delete("/oncall/schedules/{int:schedule_id}", response={204: None}, tags=TAG,
               operation_id="delete_oncall_schedule")
@answers(409)
def delete_schedule(request: HttpRequest, schedule_id: Id) -> Status[None]:
    """Remove a schedule with its layers and overrides."""
    schedule = queries.get_schedule(request.user, schedule_id)
    require_write(request, WRITE)
    services.delete_schedule(schedule, actor=_actor(request))
    return Status(204, None)


@router.get("/oncall/schedules/{int:schedule_id}/timeline", response=list[ActivityOut], tags=TAG,
            operation_id="oncall_schedules_timeline", summary="Timeline of a schedule")
@paginate(Page)
def schedule_timeline(request: HttpRequest, schedule_id: Id) -> QuerySet[Activity]:
    """The schedule's activity, oldest first."""
    return timeline.for_reader(queries.get_schedule(request.user, schedule_id), request.user)


@router.get("/oncall/schedules/{int:schedule_id}/overrides", response=list[OncallOverrideOut], tags=TAG,
            operation_id="list_oncall_overrides")
def list_overrides(request: HttpRequest, schedule_id: Id) -> list[Override]:
    """The schedule's overrides, by start."""
    return list(queries.get_schedule(request.user, schedule_id).overrides.all())


@router.post("/oncall/schedules/{int:schedule_id}/overrides", response={201: OncallOverrideOut}, tags=TAG,
             operation_id="create_oncall_override")
@answers(404)
def create_override(request: HttpRequest, schedule_id: Id, payload: OncallOverrideIn) -> Status[Override]:
    """Someone covers from start to end (for `covers_for`, or for whoever is on call)."""
    schedule = queries.get_schedule(request.user, schedule_id)
    require_write(request, WRITE)
    override = services.add_override(schedule, payload.dict(), _actor(request))
    return Status(201, queries.get_override(schedule, override.pk))


@router.delete("/oncall/schedules/{int:schedule_id}/overrides/{int:override_id}", response={204: None}, tags=TAG,
               operation_id="delete_oncall_override")
def delete_override(request: HttpRequest, schedule_id: Id, override_id: Id) -> Status[None]:
    """Remove an override."""
    schedule = queries.get_schedule(request.user, schedule_id)
    override = queries.get_override(schedule, override_id)
    require_write(request, WRITE)
    services.delete_override(override, actor=_actor(request))
    return Status(204, None)


def _at(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None or at.utcoffset() is None:
        raise field_error("at", "give the offset (e.g. 2026-03-29T08:00:00Z)")
    return at.astimezone(dt.UTC)


@router.get("/oncall/schedules/{int:schedule_id}/on-call", response=OnCallOut, tags=TAG,
            operation_id="oncall_schedule_on_call")
def on_call(request: HttpRequest, schedule_id: Id, at: dt.datetime | None = None) -> dict[str, Any]:
    """Who is on call at `at` (ISO-8601 with offset; default now)."""
    schedule = queries.get_schedule(request.user, schedule_id)
    when = _at(at)
    return {"at": when, "people": [_brief(u) for u in queries.on_call(schedule, when)]}


def _span(start: dt.datetime | None, end: dt.datetime | None, default: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    begin = _at(start) if start is not None else clock.now()
    finish = _at(end) if end is not None else begin + default
    if finish <= begin:
        raise field_error("end", "must be after start")
    if finish - begin > MAX_SPAN:
        raise field_error("end", "at most 62 days after start")
    return begin, finish


@router.get("/oncall/schedules/{int:schedule_id}/shifts", response=OncallShiftsOut, tags=TAG,
            operation_id="oncall_schedule_shifts")
def shifts(request: HttpRequest, schedule_id: Id, start: dt.datetime | None = None,
           end: dt.datetime | None = None) -> dict[str, Any]:
    """The final schedule over [start, end) (default: the next 7 days; at most 62): shifts and gaps."""
    schedule = queries.get_schedule(request.user, schedule_id)
    begin, finish = _span(start, end, dt.timedelta(days=7))
    people = queries.people_of(schedule)
    found = queries.shifts(schedule, begin, finish)
    return {
        "schedule": schedule.pk, "start": begin, "end": finish,
        "shifts": [{"person": _brief(people[s.person_id]), "start": s.start, "end": s.end, "layer": s.layer_id,
                    "override": s.override_id} for s in found],
        "gaps": [{"start": a, "end": b} for a, b in queries.gaps(schedule, begin, finish)],
    }


@router.get("/oncall/who", response=OncallWhoOut, tags=TAG, operation_id="oncall_who")
def who(request: HttpRequest, service: Id | None = None, site: Id | None = None, client: Id | None = None,
        at: dt.datetime | None = None) -> dict[str, Any]:
    """Who is on call for a service, site or client (the schedules attached to any of them)."""
    if service is None and site is None and client is None:
        raise InvalidInput("Give a service, site or client.", errors=[{"field": "service", "message": "required"}])
    when = _at(at)
    visible = set(queries.list_schedules(request.user).values_list("pk", flat=True))
    found = queries.on_call_for(service_id=service, site_id=site, client_id=client, at=when)
    return {"at": when, "schedules": [
        {"schedule": s.pk, "name": s.name, "time_zone": s.time_zone, "people": [_brief(u) for u in people]}
        for s, people in found if s.pk in visible
    ]}


# -- iCalendar feeds (a token with the calendar scope in the URL, no session) ------------------------


def _feed_user(request: HttpRequest, token: str | None) -> User | None:
    """The user of the feed's token: ?token=, or (for scripts) the Authorization bearer header."""
    header = request.headers.get("Authorization", "")
    token = token or (header[len("Bearer "):].strip() if header.startswith("Bearer ") else None)
    user = authenticate_token(token, request) if token else None
    if user is None or not FEED_SCOPES & set(getattr(user, "token_scopes", ())):
        return None
    return user


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _unauthorized() -> HttpResponse:
    return problem(401, "Unauthorized", "Add ?token=<API token with the 'calendar' scope> to the feed URL.")


@router.get("/oncall/schedules/{int:schedule_id}/shifts.ics", auth=None, tags=TAG, openapi_extra=ICS_ANSWER,
            operation_id="oncall_schedule_feed", summary="iCalendar feed of a schedule's shifts (next 90 days)")
@answers(401)
def schedule_feed(request: HttpRequest, schedule_id: Id,
                  token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
                  ) -> HttpResponse:
    """The schedule's final shifts and gaps for the next 90 days, for a calendar client."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    schedule = queries.get_schedule(user, schedule_id)
    now = clock.now()
    people = queries.people_of(schedule)
    items = [(schedule, s) for s in queries.shifts(schedule, now, now + FEED_AHEAD)]
    body = feeds.shifts_calendar(items, people, name=f"On call: {schedule.name}", stamp=now,
                                 gaps=[(schedule, a, b) for a, b in queries.gaps(schedule, now, now + FEED_AHEAD)])
    return _ics(body, "shifts.ics")


@router.get("/oncall/my-shifts.ics", auth=None, tags=TAG, openapi_extra=ICS_ANSWER,
            operation_id="oncall_my_shifts_feed", summary="iCalendar feed of the token owner's shifts (next 90 days)")
@answers(401)
def my_shifts_feed(request: HttpRequest,
                   token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
                   ) -> HttpResponse:
    """The token owner's on-call shifts in every schedule for the next 90 days."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    now = clock.now()
    items = queries.shifts_of(user, now, now + FEED_AHEAD)
    body = feeds.shifts_calendar(items, {user.pk: user}, name=f"On call: {user.username}", stamp=now)
    return _ics(body, "my-shifts.ics")
