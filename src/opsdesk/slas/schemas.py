"""SLA API schemas: policies in and out, and an object's clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

Minutes = int
AppliesTo = Literal["work_order", "incident"]
StateName = str


class SlaPolicyBrief(Schema):
    """A policy named in an SLA answer."""

    id: int
    name: str


class SlaPolicyOut(Schema):
    """An SLA policy: targets in minutes of business time (or 24x7), pause states."""

    id: int
    name: str
    applies_to: str
    client: int | None = Field(None, alias="client_id")
    level: str
    category: str
    response_minutes: int
    onsite_minutes: int | None
    resolution_minutes: int
    business_hours: bool
    pause_states: list[str]
    active: bool


class SlaPolicyIn(InSchema):
    """A new policy. `client` null: the default for every client; `category` blank: any category."""

    name: str = Field(..., min_length=1, max_length=200)
    applies_to: AppliesTo
    client: Id | None = None
    level: str = Field(..., max_length=4, description="Work orders: p1..p4; incidents: sev1..sev4")
    category: str = Field("", max_length=20)
    response_minutes: int = Field(..., ge=1, le=2**31 - 1)
    onsite_minutes: int | None = Field(None, ge=1, le=2**31 - 1)
    resolution_minutes: int = Field(..., ge=1, le=2**31 - 1)
    business_hours: bool = True
    pause_states: list[StateName] | None = Field(None, max_length=20)
    active: bool = True


class SlaPolicyPatch(InSchema):
    """Fields to change; every field optional."""

    name: str | None = Field(None, min_length=1, max_length=200)
    applies_to: AppliesTo | None = None
    client: Id | None = None
    level: str | None = Field(None, max_length=4)
    category: str | None = Field(None, max_length=20)
    response_minutes: int | None = Field(None, ge=1, le=2**31 - 1)
    onsite_minutes: int | None = Field(None, ge=1, le=2**31 - 1)
    resolution_minutes: int | None = Field(None, ge=1, le=2**31 - 1)
    business_hours: bool | None = None
    pause_states: list[StateName] | None = Field(None, max_length=20)
    active: bool | None = None


class TargetOut(Schema):
    """One target's clock: minutes of business time, status, when it is due or stopped (UTC)."""

    target: str
    target_minutes: int
    elapsed_minutes: float
    remaining_minutes: float
    paused_minutes: float
    status: str = Field(..., description="running, at_risk, paused, met, breached, cancelled, not_started or unmeasured (imported already past the target)")
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None = None


class SlaOut(Schema):
    """An object's SLA: the policy that applies (null: none) and its clocks."""

    kind: str
    object_id: int
    policy: SlaPolicyBrief | None
    business_hours: bool
    time_zone: str
    targets: list[TargetOut]

    @staticmethod
    def resolve_policy(obj: Any) -> Any:
        return obj.policy


class AttainmentOut(Schema):
    """One group's settled SLA targets in one month: how many met, how many breached, the share met."""

    group_id: int | None
    group_name: str
    month: str = Field(..., description="YYYY-MM (UTC)")
    met: int
    breached: int
    total: int
    attainment: float = Field(..., description="Share met, 0..1")
