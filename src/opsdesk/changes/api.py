"""Change requests API: list, create, read, edit, transitions, approvals, collisions, risk, review (thin edges)."""

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_scope, require_write
from opsdesk.core.errors import field_error
from opsdesk.core.pagination import ReaderPage
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id, Instant
from opsdesk.services import readers

from . import client_view, queries, services
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

router = Router()
TAG = ["changes"]


@router.get("/changes", response=list[ChangeOut], tags=TAG)
@paginate(ReaderPage, reader=client_view.for_readers)
def list_changes(  # type: ignore[no-untyped-def]
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
):
    """Changes you may see (client users: those affecting their organisation), soonest window first."""
    return queries.list_changes(
        request.user, state=state, type=type, risk_level=risk_level, site=site, service=service,
        client=client, region=region, window_from=window_from, window_to=window_to,
    )


@router.post("/changes", response={201: ChangeOut}, tags=TAG)
@answers(409)
def create_change(request: HttpRequest, payload: ChangeIn):  # type: ignore[no-untyped-def]
    """Draft a change; risk is assessed at once and shown component by component."""
    require_write(request, "changes.write")
    change = services.create_change(payload.dict(), actor=signed_in(request.user))
    return Status(201, client_view.for_reader(queries.get_change(request.user, change.pk), request.user))


@router.get("/changes/failure-rate", response=list[FailureRateOut], tags=TAG)
def failure_rate(request: HttpRequest, by: Literal["service", "team", "region", "client"] = "service"):  # type: ignore[no-untyped-def]
    """Change failure rate: rolled back, failed or caused an incident, over implemented changes."""
    return queries.failure_rate(request.user, by)


@router.post("/changes/{int:change_id}/transitions", response=ChangeOut, tags=TAG)
@answers(409)
def transition(request: HttpRequest, change_id: Id, payload: TransitionIn):  # type: ignore[no-untyped-def]
    """Move the change to another state; an invalid move is 409 with the reason and the allowed states."""
    change = queries.get_change(request.user, change_id)
    require_write(request, "changes.write")
    if not payload.to:
        raise field_error("to", "the state to move to is required")
    services.transition_change(change, payload.to, actor=signed_in(request.user), reason=payload.reason)
    return client_view.for_reader(queries.get_change(request.user, change_id), request.user)


def _approval_status(request: HttpRequest, change_id: int) -> dict:
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
def approvals(request: HttpRequest, change_id: Id):  # type: ignore[no-untyped-def]
    """Decisions so far, what the risk level requires, what is still missing, what blocks approval."""
    return _approval_status(request, change_id)


@router.post("/changes/{int:change_id}/approvals", response={201: ApprovalStatusOut}, tags=TAG)
@answers(409)
def decide(request: HttpRequest, change_id: Id, payload: DecisionIn):  # type: ignore[no-untyped-def]
    """Approve or reject in a capacity (peer, change_approver, client, emergency); own changes are refused."""
    change = queries.get_change(request.user, change_id)
    require_scope(request, "write")
    services.decide(
        change, signed_in(request.user), capacity=payload.capacity, decision=payload.decision, comment=payload.comment
    )
    return Status(201, _approval_status(request, change_id))


@router.get("/changes/{int:change_id}/collisions", response=list[CollisionOut], tags=TAG)
def collisions(request: HttpRequest, change_id: Id):  # type: ignore[no-untyped-def]
    """Planned changes and on-site visits overlapping this change on a related service or site, and why."""
    return client_view.collisions(queries.collisions_for(queries.get_change(request.user, change_id)), request.user)


@router.get("/changes/{int:change_id}/risk", response=RiskOut, tags=TAG)
def risk(request: HttpRequest, change_id: Id):  # type: ignore[no-untyped-def]
    """Risk assessed now (the change's `risk` field holds the assessment of its last write)."""
    assessment = queries.evaluate(queries.get_change(request.user, change_id)).assessment.as_dict()
    return client_view.risk(assessment, request.user)


@router.post("/changes/{int:change_id}/review", response=ChangeOut, tags=TAG)
@answers(409)
def review(request: HttpRequest, change_id: Id, payload: ReviewIn):  # type: ignore[no-untyped-def]
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
