"""Dispatch API (thin edges): build, read, adjust and accept plans of a region's day."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, own_transactions, require_write
from opsdesk.core.errors import field_error
from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import queries, services
from .answers import plan_answer
from .models import Plan
from .schemas import MoveIn, PlanBrief, PlanIn, PlanOut

router = Router()
TAG = ["dispatch"]
PERMISSION = "workorders.dispatch"


@router.get("/dispatch/plans", response=list[PlanBrief], tags=TAG)
@paginate(Page)
@answers(403, 404)
def list_plans(
    request: HttpRequest, region: str | None = None, day: dt.date | None = None, state: str | None = None,
) -> QuerySet[Plan]:
    """Plans, newest first; filter by region (id or code), day and state."""
    return queries.list_plans(request.user, region=region, day=day, state=state)


@router.post("/dispatch/plans", response={201: PlanOut}, tags=TAG)
@own_transactions  # the solver searches for seconds outside the plan's short transaction
@answers(404)
def create_plan(request: HttpRequest, body: PlanIn) -> Status[dict[str, Any]]:
    """Build a proposed plan of the region's day, checked by the independent checker."""
    require_write(request, PERMISSION)
    plan = services.propose_plan(body.region, body.day, actor=signed_in(request.user), seconds=body.seconds, fresh=body.fresh)
    return Status(201, plan_answer(plan))


@router.get("/dispatch/plans/{int:plan_id}", response=PlanOut, tags=TAG)
def get_plan(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    """A plan: routes with stops, unassigned work with reasons, the checker's verdict, what a re-plan moved."""
    return plan_answer(queries.get_plan(request.user, plan_id))


@router.post("/dispatch/plans/{int:plan_id}/moves", response=PlanOut, tags=TAG)
@answers(409)
def move(request: HttpRequest, plan_id: Id, body: MoveIn) -> dict[str, Any]:
    """Reassign or reorder one visit of a proposed plan; `dry_run` answers the checker's verdict without saving."""
    plan = queries.get_plan(request.user, plan_id)
    require_write(request, PERMISSION)
    if body.work_order is None:
        raise field_error("work_order", "say which work order to move")
    changed, _ = services.move_stop(
        plan, body.work_order, body.engineer, position=body.position, dry_run=body.dry_run, actor=signed_in(request.user),
    )
    return plan_answer(changed)


@router.post("/dispatch/plans/{int:plan_id}/accept", response=PlanOut, tags=TAG)
@answers(409)
def accept(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    """Accept a proposed plan: schedule, dispatch and hand each visit to its engineer."""
    plan = queries.get_plan(request.user, plan_id)
    require_write(request, PERMISSION)
    plan = services.accept_plan(plan, actor=signed_in(request.user))
    return plan_answer(plan)


