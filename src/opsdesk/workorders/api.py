"""Work orders API: CRUD, transitions, readiness, overrides, eligibility, handoffs, comments,
arrangements, parts, check-in/out and the engineer's day (thin edges).

Every /work-orders/{id}/... handler looks the work order up first (404 for one the caller may not
see), then checks the permission, then calls one service or query.
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_scope, require_write
from opsdesk.core.cursor import CursorPage
from opsdesk.core.errors import PermissionDenied, field_error
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id, Instant

from . import queries, rows, services
from .models import Arrangement, Comment, Handoff, Override, Part
from .queries import Queue
from .readiness import queries as readiness_queries
from .schemas import (
    ArrangementIn,
    ArrangementOut,
    CheckInIn,
    CheckInOut,
    CheckOutIn,
    CommentIn,
    CommentOut,
    HandoffIn,
    HandoffOut,
    OverrideIn,
    OverrideOut,
    PartIn,
    PartOut,
    ReadinessOut,
    VerdictOut,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderPatch,
    WorkTransitionIn,
)

router = Router()
TAG = ["work orders"]


def _staff_only(request: HttpRequest, what: str) -> None:
    if getattr(request.user, "is_client_user", False):
        raise PermissionDenied(f"{what} are for the provider's staff.")


@router.get("/work-orders", response=list[WorkOrderOut], tags=TAG)
@paginate(CursorPage)
def list_work_orders(
    request: HttpRequest,
    state: str | None = Query(None, max_length=200, description="One state or several, comma-separated"),
    site: Id | None = None,
    region: str | None = Query(None, max_length=40, description="Region code or id"),
    client: Id | None = None,
    owner: Id | None = None,
    blocked: bool | None = None,
    at_risk: bool | None = None,
    due_before: Instant | None = Query(None, description="Window starts, or a blocker is needed, before this"),
    q: str | None = Query(None, max_length=200, description="Title text or WO number"),
) -> Queue:
    """Work orders you may see, most urgent first (at risk, priority, window); `?cursor=` pages by newest id.

    `count` is exact up to 10,000; beyond that it reads 10,000 and `count_capped` is true.
    """
    return queries.queue(
        request.user, load=rows.present_ids, state=state, site=site, region=region, client=client, owner=owner,
        blocked=blocked, at_risk=at_risk, due_before=due_before, q=q,
    )


@router.post("/work-orders", response={201: WorkOrderOut}, tags=TAG)
@answers(409)
def create_work_order(request: HttpRequest, payload: WorkOrderIn) -> Status[dict[str, Any]]:
    """Create a work order; a client user's request becomes a submitted work order of their client."""
    user: Any = request.user
    require_write(request, "workorders.request" if user.is_client_user else "workorders.write")
    wo = services.create_work_order(payload.dict(), actor=user)
    return Status(201, rows.present_one(wo.pk))


@router.get("/my-work", response=list[WorkOrderOut], tags=TAG)
def my_work(request: HttpRequest, day: dt.date | None = None) -> list[dict[str, Any]]:
    """Work assigned to you (your engineer record) on `day`, today in your local time by default."""
    return rows.present_ids(list(queries.my_work(request.user, day).values_list("id", flat=True)))


@router.post("/work-orders/{int:wo_id}/transitions", response=WorkOrderOut, tags=TAG)
@answers(409)
def transition(request: HttpRequest, wo_id: Id, payload: WorkTransitionIn) -> dict[str, Any]:
    """Move the work order; a refused move (or the readiness gate) is 409 saying what is missing and who acts."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.write")
    if not payload.to:
        raise field_error("to", "the state to move to is required")
    services.transition_work_order(wo, payload.to, actor=signed_in(request.user), reason=payload.reason)
    return rows.present_one(wo_id)


@router.get("/work-orders/{int:wo_id}/readiness", response=ReadinessOut, tags=TAG)
def readiness(request: HttpRequest, wo_id: Id) -> dict[str, Any]:
    """Readiness now: every blocker with what is missing, who must act, by when, and which rule."""
    wo = queries.get_work_order(request.user, wo_id)
    data = readiness_queries.as_json(readiness_queries.evaluate_work_order(wo))
    if getattr(request.user, "is_client_user", False):
        data = queries.for_client(data)
    return data


@router.post("/work-orders/{int:wo_id}/overrides", response={201: OverrideOut}, tags=TAG)
@answers(409)
def override(request: HttpRequest, wo_id: Id, payload: OverrideIn) -> Status[Override]:
    """A dispatcher proceeds despite one blocker (by its key), with a recorded reason."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.dispatch")
    if not payload.blocker:
        raise field_error("blocker", "the key of the blocker to override is required")
    return Status(201, services.override_blocker(wo, payload.blocker, reason=payload.reason, actor=signed_in(request.user)))


@router.get("/work-orders/{int:wo_id}/eligibility", response=list[VerdictOut], tags=TAG)
@answers(403)
def eligibility(request: HttpRequest, wo_id: Id) -> list[dict[str, object]]:
    """Each candidate engineer's eligibility for this work, with every reason when not; eligible first."""
    wo = queries.get_work_order(request.user, wo_id)
    _staff_only(request, "Engineers' eligibility")
    return [
        {"engineer": v.engineer_id, "name": v.engineer_name, "eligible": v.eligible, "reasons": list(v.reasons)}
        for v in readiness_queries.eligible_engineers(wo)
    ]


@router.get("/work-orders/{int:wo_id}/handoffs", response=list[HandoffOut], tags=TAG)
@answers(403)
def handoffs(request: HttpRequest, wo_id: Id) -> list[Handoff]:
    """The work order's handoffs, oldest first, with their acknowledgement."""
    wo = queries.get_work_order(request.user, wo_id)
    _staff_only(request, "Handoffs")
    return list(queries.list_handoffs(request.user, wo))


@router.post("/work-orders/{int:wo_id}/handoffs", response={201: HandoffOut}, tags=TAG)
@answers(409)
def hand_off(request: HttpRequest, wo_id: Id, payload: HandoffIn) -> Status[Handoff]:
    """Hand over to another owner and/or team with done so far, next step, open questions and links."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.write")
    if payload.to_user is None and payload.to_team is None:
        raise field_error("to_user", "say who (or which team) takes over")
    handoff = services.hand_off(
        wo, to_user=payload.to_user or wo.owner_id, to_team=payload.to_team, done_so_far=payload.done_so_far,
        next_step=payload.next_step, open_questions=payload.open_questions, links=payload.links, actor=signed_in(request.user),
    )
    return Status(201, handoff)


@router.post("/work-orders/{int:wo_id}/handoffs/{int:handoff_id}/acknowledge", response=HandoffOut, tags=TAG)
def acknowledge(request: HttpRequest, wo_id: Id, handoff_id: Id) -> Handoff:
    """The receiver acknowledges the handoff (only the receiver can)."""
    wo = queries.get_work_order(request.user, wo_id)
    require_scope(request, "write")
    handoff = queries.get_handoff(request.user, wo, handoff_id)
    return services.acknowledge_handoff(handoff, actor=signed_in(request.user))


@router.get("/work-orders/{int:wo_id}/comments", response=list[CommentOut], tags=TAG)
@paginate(Page)
def comments(request: HttpRequest, wo_id: Id) -> QuerySet[Comment]:
    """Comments, oldest first; client users see only the client-visible ones."""
    return queries.list_comments(request.user, queries.get_work_order(request.user, wo_id))


@router.post("/work-orders/{int:wo_id}/comments", response={201: CommentOut}, tags=TAG)
def comment(request: HttpRequest, wo_id: Id, payload: CommentIn) -> Status[Comment]:
    """Add a comment: internal (staff) or client-visible; client users' comments are client-visible."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.comment")
    return Status(201, services.add_comment(wo, payload.body, visibility=payload.visibility, actor=signed_in(request.user)))


@router.post("/work-orders/{int:wo_id}/arrangements", response=ArrangementOut, tags=TAG)
def arrangement(request: HttpRequest, wo_id: Id, payload: ArrangementIn) -> Arrangement:
    """Record an arrangement for a site requirement (clients: their access requests)."""
    wo = queries.get_work_order(request.user, wo_id)
    user: Any = request.user
    require_write(request, "workorders.request" if user.is_client_user else "workorders.write")
    if payload.requirement is None:
        raise field_error("requirement", "the site requirement's id is required")
    if payload.state is None:
        raise field_error("state", "one of requested, submitted, approved, rejected")
    return services.record_arrangement(
        wo, payload.requirement, state=payload.state, reference=payload.reference, note=payload.note, actor=user
    )


@router.patch("/work-orders/{int:wo_id}/parts/{int:part_id}", response=PartOut, tags=TAG)
def update_part(request: HttpRequest, wo_id: Id, part_id: Id, payload: PartIn) -> Part:
    """Change a part's shipment state, expected or delivered time."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.write")
    data = payload.dict(exclude_unset=True)
    data.pop("id", None)
    return services.update_part(wo, part_id, data, actor=signed_in(request.user))


@router.post("/work-orders/{int:wo_id}/check-in", response=CheckInOut, tags=TAG)
@answers(409)
def check_in(request: HttpRequest, wo_id: Id, payload: CheckInIn) -> dict[str, object]:
    """The assigned engineer arrives: on site now; answers the site's method statement and local standards.

    Outside the visit's window widened by the category's tolerance, `reason` is required (422 says the
    window and the tolerance in the site's time). A device location is recorded with its distance from
    the site, flagged (`far_from_site` on the visit) beyond the category's radius."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.onsite")
    services.check_in(
        wo, actor=signed_in(request.user), reason=payload.reason, latitude=payload.latitude, longitude=payload.longitude,
        accuracy_m=payload.accuracy_m,
    )
    fresh = queries.get_work_order(request.user, wo_id)
    return {"work_order": rows.present_one(fresh), "rules": queries.check_in_briefing(fresh)}


@router.post("/work-orders/{int:wo_id}/check-out", response=WorkOrderOut, tags=TAG)
@answers(409)
def check_out(request: HttpRequest, wo_id: Id, payload: CheckOutIn) -> dict[str, Any]:
    """The engineer leaves. Completed: checklist answers and the completion report (the client sees it).
    Not completed: why, from a fixed list ('other' needs `failure_note`); the work goes on hold."""
    wo = queries.get_work_order(request.user, wo_id)
    require_write(request, "workorders.onsite")
    if payload.outcome == "not_completed":
        services.check_out_not_completed(
            wo, reason=payload.failure_reason or "", note=payload.failure_note, actor=signed_in(request.user)
        )
        return rows.present_one(wo_id)
    services.check_out(
        wo, report=payload.report, checklist=payload.checklist, first_time_fix=payload.first_time_fix,
        actor=signed_in(request.user),
    )
    return rows.present_one(wo_id)


add_object_routes(router, ObjectRoutes(
    collection="work-orders", noun="work order", tag="work orders", permission="workorders.write",
    out=WorkOrderOut, get=queries.get_work_order, patch=WorkOrderPatch, update=services.update_work_order,
    present=rows.present_one,
))
