"""Dispatch API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from opsdesk.core.schemas import MAX_ID, InSchema


class PlanIn(InSchema):
    """Build a proposed plan of a region's day (a re-plan when the day has an accepted plan, unless `fresh`)."""

    region: str = Field(..., min_length=1, max_length=50, description="Region id or code")
    day: dt.date
    seconds: float | None = Field(None, gt=0, le=120, description="Search time; the server's default when absent")
    fresh: bool = False


class MoveIn(InSchema):
    """Give a work order to an engineer (at a position, or where it adds least travel), or take it out (engineer null)."""

    work_order: int | None = Field(None, ge=1, le=MAX_ID)
    engineer: int | None = Field(None, ge=1, le=MAX_ID)
    position: int | None = Field(None, ge=0, le=1000)
    dry_run: bool = False


class StopOut(Schema):
    """One visit: ISO 8601 times, travel from the previous place."""

    work_order: int
    arrival: str
    start: str
    finish: str
    travel_minutes: int
    fixed: bool


class RouteOut(Schema):
    """An engineer's day."""

    engineer: int
    name: str
    departure: str | None
    back: str | None
    available: list[list[str]]
    travel_minutes: int
    return_travel_minutes: int
    stops: list[StopOut]


class UnassignedOut(Schema):
    """Work left out, and why."""

    work_order: int
    reason: str


class CheckerOut(Schema):
    """The independent checker's verdict."""

    ok: bool
    violations: list[dict[str, Any]]


class PlanOut(Schema):
    """A plan of a region's day."""

    id: int | None
    region: str
    day: str
    state: str
    based_on: int | None
    solver: str
    solve_seconds: float
    travel_minutes: int
    routes: list[RouteOut]
    unassigned: list[UnassignedOut]
    checker: CheckerOut
    moved: list[dict[str, Any]]
    created_at: str | None
    accepted_at: str | None


class PlanBrief(Schema):
    """A plan in a list."""

    id: int
    region: str
    day: dt.date
    state: str
    solver: str
    travel_minutes: int
    stops: int = Field(..., alias="stop_count")
    unassigned: int
    ok: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_region(plan: Any) -> str:
        """The region's code."""
        return str(plan.region.code)

    @staticmethod
    def resolve_unassigned(plan: Any) -> int:
        """How much work the plan leaves out."""
        return len(plan.unassigned)

    @staticmethod
    def resolve_ok(plan: Any) -> bool:
        """Whether the checker passed the plan."""
        return not plan.violations
