"""Change requests API: list, create, read, edit, transitions, approvals, collisions, risk, review,
and the change calendar's iCalendar feeds of changes and of a site's windows (thin edges).

The feeds' operation ids are spelled out: Ninja derives them from the module path, and the feeds
were served from opsdesk.changes.window_api before the windows sub-package existed."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.accounts.models import User
from opsdesk.accounts.services import authenticate_token
from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, problem, require_scope, require_write
from opsdesk.core.errors import InvalidInput, field_error
from opsdesk.core.pagination import ReaderPage
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id, Instant
from opsdesk.services import readers

from . import client_view, feeds, queries, services
from .models import ChangeRequest
from .schemas import (
    ApprovalStatusOut,
    ChangeIn,
    ChangeOut,
    ChangePatch,
    CollisionOut,
    DecisionIn,
    FailureRateOut,
    ReviewIn,
    RiskOut,
    TransitionIn,
)
from .windows import queries as window_queries

router = Router()
TAG = ["changes"]
FEED_SCOPES = frozenset({"calendar", "read"})
ICS = "text/calendar; charset=utf-8"
FEED_OPERATION_ID = "opsdesk_changes_window_api_{}"
# The feeds have a router of their own, mounted where they always were (after the windows API),
# so the OpenAPI document lists its paths in the same order.
feeds_router = Router()


@router.get("/changes", response=list[ChangeOut], tags=TAG)
@paginate(ReaderPage, reader=client_view.for_readers)
def list_changes(
    request: HttpRequest,
    state: str | None = Query(None, max_length=200, description="One state or several, comma-separated"),
    type: str | None = Query(None, max_length=20),
    risk_level: str | None = Query(None, max_length=10),
    site: Id | None = None,
    service: Id | None = None,
    client: Id | None = None,
    region: str | None = Query(None, max_length=40, description="Region code or id"),
    window_from: Instant | None = Query(None, description="Windows ending after this instant"),
    window_to: Instant | None = Query(None, description="Windows starting before this instant"),
) -> QuerySet[ChangeRequest]:
    """Changes you may see (client users: those affecting their organisation), soonest window first."""
    return queries.list_changes(
        request.user, state=state, type=type, risk_level=risk_level, site=site, service=service,
        client=client, region=region, window_from=window_from, window_to=window_to,
    )


@router.post("/changes", response={201: ChangeOut}, tags=TAG)
@answers(409)
def create_change(request: HttpRequest, payload: ChangeIn) -> Status[ChangeRequest | client_view.ChangeForReader]:
    """Draft a change; risk is assessed at once and shown component by component."""
    require_write(request, "changes.write")
    change = services.create_change(payload.dict(), actor=signed_in(request.user))
    return Status(201, client_view.for_reader(queries.get_change(request.user, change.pk), request.user))


@router.get("/changes/failure-rate", response=list[FailureRateOut], tags=TAG)
def failure_rate(request: HttpRequest, by: Literal["service", "team", "region", "client"] = "service") -> list[dict[str, Any]]:
    """Change failure rate: rolled back, failed or caused an incident, over implemented changes."""
    return queries.failure_rate(request.user, by)


@router.post("/changes/{int:change_id}/transitions", response=ChangeOut, tags=TAG)
@answers(409)
def transition(request: HttpRequest, change_id: Id, payload: TransitionIn) -> ChangeRequest | client_view.ChangeForReader:
    """Move the change to another state; an invalid move is 409 with the reason and the allowed states."""
    change = queries.get_change(request.user, change_id)
    require_write(request, "changes.write")
    if not payload.to:
        raise field_error("to", "the state to move to is required")
    services.transition_change(change, payload.to, actor=signed_in(request.user), reason=payload.reason)
    return client_view.for_reader(queries.get_change(request.user, change_id), request.user)


def _approval_status(request: HttpRequest, change_id: int) -> dict[str, Any]:
    change = queries.get_change(request.user, change_id)
    violations = queries.window_violations(change)
    status = client_view.approval_status(
        queries.approval_status(change, change.risk_level or "low", violations), request.user
    )
    return {
        "change": change.pk, "state": change.state, "risk_level": change.risk_level,
        "decisions": list(client_view.for_reader(change, request.user).approvals.all()), "required": list(status.required),
        "missing": list(status.missing), "blocked_by": list(status.blocked_by), "complete": status.complete,
    }


@router.get("/changes/{int:change_id}/approvals", response=ApprovalStatusOut, tags=TAG)
def approvals(request: HttpRequest, change_id: Id) -> dict[str, Any]:
    """Decisions so far, what the risk level requires, what is still missing, what blocks approval."""
    return _approval_status(request, change_id)


@router.post("/changes/{int:change_id}/approvals", response={201: ApprovalStatusOut}, tags=TAG)
@answers(409)
def decide(request: HttpRequest, change_id: Id, payload: DecisionIn) -> Status[dict[str, Any]]:
    """Approve or reject in a capacity (peer, change_approver, client, emergency); own changes are refused."""
    change = queries.get_change(request.user, change_id)
    require_scope(request, "write")
    services.decide(
        change, signed_in(request.user), capacity=payload.capacity, decision=payload.decision, comment=payload.comment
    )
    return Status(201, _approval_status(request, change_id))


@router.get("/changes/{int:change_id}/collisions", response=list[CollisionOut], tags=TAG)
def collisions(request: HttpRequest, change_id: Id) -> list[queries.Collision]:
    """Planned changes and on-site visits overlapping this change on a related service or site, and why."""
    return client_view.collisions(queries.collisions_for(queries.get_change(request.user, change_id)), request.user)


@router.get("/changes/{int:change_id}/risk", response=RiskOut, tags=TAG)
def risk(request: HttpRequest, change_id: Id) -> dict[str, Any]:
    """Risk assessed now (the change's `risk` field holds the assessment of its last write)."""
    assessment = queries.evaluate(queries.get_change(request.user, change_id)).assessment.as_dict()
    return client_view.risk(assessment, request.user)


@router.post("/changes/{int:change_id}/review", response=ChangeOut, tags=TAG)
@answers(409)
def review(request: HttpRequest, change_id: Id, payload: ReviewIn) -> ChangeRequest | client_view.ChangeForReader:
    """Record the post-implementation review: outcome, whether it caused an incident, lessons."""
    change = queries.get_change(request.user, change_id)
    require_write(request, "changes.write")
    services.record_review(
        change, outcome=payload.outcome, caused_incident=payload.caused_incident, lessons=payload.lessons,
        actor=signed_in(request.user),
    )
    return client_view.for_reader(queries.get_change(request.user, change_id), request.user)


add_object_routes(router, ObjectRoutes(
    collection="changes", noun="change", tag="changes", permission="changes.write",
    out=ChangeOut, get=queries.get_change, patch=ChangePatch,
    update=services.update_change, delete=services.delete_change, reader=client_view.for_reader,
    timeline_reader=readers.timeline,
))


# -- the change calendar's iCalendar feeds (a token in the URL, no session) ------------------------


def _feed_user(request: HttpRequest, token: str | None) -> User | None:
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


@feeds_router.get("/calendars/changes.ics", auth=None, tags=["calendars"], openapi_extra=ICS_ANSWER,
            summary="iCalendar feed of changes at a site or for a client",
            operation_id=FEED_OPERATION_ID.format("changes_feed"))
@answers(401, 404)
def changes_feed(
    request: HttpRequest,
    token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
    site: Id | None = None,
    client: Id | None = None,
) -> HttpResponse:
    """Planned changes (and those implemented in the last 30 days), 180 days ahead, for a calendar client."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    if (site is None) == (client is None):
        raise InvalidInput("Give exactly one of site or client.", errors=[{"field": "site", "message": "site or client"}])
    if site is not None:
        at_site = queries.feed_site(user, site)
        changes = queries.feed_changes(user, site=at_site)
        name = f"Changes at {at_site.code}"
    else:
        for_client = queries.feed_client(user, client)  # type: ignore[arg-type]
        changes = queries.feed_changes(user, client=for_client)
        name = f"Changes for {for_client.name}"
    body = feeds.changes_calendar(changes, name=name, base_url=request.build_absolute_uri("/"), stamp=clock.now())
    return _ics(body, "changes.ics")


@feeds_router.get("/calendars/windows.ics", auth=None, tags=["calendars"], openapi_extra=ICS_ANSWER,
            summary="iCalendar feed of a site's change windows and freezes",
            operation_id=FEED_OPERATION_ID.format("windows_feed"))
@answers(401, 404)
def windows_feed(
    request: HttpRequest,
    site: Id,
    token: str | None = Query(None, description="API token with the 'calendar' (or 'read') scope"),
) -> HttpResponse:
    """The site's window and freeze occurrences in the next 180 days (staff only)."""
    user = _feed_user(request, token)
    if user is None:
        return _unauthorized()
    target = window_queries.feed_window_site(user, site)
    now = clock.now()
    occurrences = window_queries.occurrences_for_site(target, now, now + queries.FEED_AHEAD)
    body = feeds.windows_calendar(occurrences, name=f"Change windows at {target.code}", stamp=now)
    return _ics(body, "windows.ics")
