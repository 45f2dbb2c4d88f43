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


Party = Literal["client", "third_party"]


class PauseOnOut(Schema):
    """What holds the clock: readiness blockers of these parties (resolution), and these states (every target)."""

    blockers: list[str] = Field(..., description="client: the client must act; third_party: the site's operator")
    states: list[str]


class PauseOnIn(InSchema):
    """What holds the clock; a part left out keeps its value (new policies: client and third-party blockers)."""

    blockers: list[Party] | None = Field(None, max_length=2)
    states: list[StateName] | None = Field(None, max_length=20)


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
    pause_on: PauseOnOut
    active: bool

    @staticmethod
    def resolve_pause_on(obj: Any) -> dict[str, Any]:
        blockers = obj.pause_on.get("blockers", []) if isinstance(obj.pause_on, dict) else []
        return {"blockers": blockers, "states": list(obj.pause_states or [])}


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
    pause_on: PauseOnIn | None = None
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
    pause_on: PauseOnIn | None = None
    active: bool | None = None


class PauseOut(Schema):
    """One stretch that held a clock: why in plain words, the detail for staff, its business minutes."""

    reason: str
    detail: str
    party: str = Field(..., description="client, third_party, or state (a pause state of the policy)")
    started_at: dt.datetime
    ended_at: dt.datetime | None = Field(..., description="null: still paused")
    minutes: float


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
    raw_elapsed_minutes: float = Field(..., description="Elapsed as if nothing had paused the clock (elapsed + paused)")
    paused_since: dt.datetime | None = Field(None, description="Set while the clock is paused: since when")
    pause_summary: str = Field("", description="e.g. 'paused 2d 4h: waiting for your site access approval'")
    pauses: list[PauseOut] = Field(default_factory=list, description="Each stretch that held the clock, in order")


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
    attainment: float = Field(..., description="Share met, 0..1, on provider time (pauses excluded)")
    raw_met: int = Field(..., description="Met even counting the paused time (the raw, unpaused figure)")
    raw_attainment: float = Field(..., description="Share met counting the paused time, 0..1")
