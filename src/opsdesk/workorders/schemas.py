"""API schemas for work orders, readiness, eligibility, handoffs, comments, arrangements and on-site work.

Bodies posted to /work-orders/{id}/... have only optional fields: the handler looks the work order
up first (404 for one the caller may not see) and the service names what is missing (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema, Instant

# Literals rather than the models' TextChoices (OpenAPI names enums after their class).
Category = Literal["install", "decommission", "remote_hands", "break_fix", "cabling", "patching", "audit", "survey"]
Priority = Literal["p1", "p2", "p3", "p4"]
Shipment = Literal["needed", "ordered", "shipped", "delivered"]


class PartIn(InSchema):
    """A part the work needs (with `id`: a change to an existing part, in a PATCH)."""

    id: Id | None = None
    part_number: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=200)
    quantity: int | None = Field(None, ge=1, le=100_000)
    shipment: Shipment | None = None
    expected_at: Instant | None = None
    delivered_at: Instant | None = None


class WorkOrderIn(InSchema):
    """A new work order. Client users: `client` is theirs, the request becomes submitted.

    Times carry their offset: enter them in the site's local time (e.g. 09:00+01:00).
    """

    client: Id | None = Field(None, description="Required for staff; client users: your client")
    site: Id
    services: list[Id] = []
    category: Category
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    info: dict[str, Any] = Field({}, description="Category information: rack location, contact on site, ...")
    window_start: Instant | None = None
    window_end: Instant | None = None
    priority: Priority = "p3"
    estimated_minutes: int = Field(60, ge=1, le=14 * 24 * 60)
    required_skills: list[str] = Field([], description="Skill codes")
    required_certifications: list[str] = Field([], description="Certification codes")
    parts: list[PartIn] = []
    change: Id | None = None
    owner: Id | None = Field(None, description="Default: you (staff)")
    team: str = Field("", max_length=100)
    engineer: Id | None = Field(None, description="Assign at once (dispatch permission)")
    state: Literal["draft", "submitted"] | None = Field(None, description="Default: submitted")
    rework_of: Id | None = Field(None, description="The earlier work order this follow-up reworks")


class WorkOrderPatch(InSchema):
    """Changes to an unfinished work order; `owner`/`team` changes are recorded as a handoff."""

    site: Id | None = None
    services: list[Id] | None = None
    category: Category | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    info: dict[str, Any] | None = None
    window_start: Instant | None = None
    window_end: Instant | None = None
    priority: Priority | None = None
    estimated_minutes: int | None = Field(None, ge=1, le=14 * 24 * 60)
    required_skills: list[str] | None = None
    required_certifications: list[str] | None = None
    parts: list[PartIn] | None = Field(None, description="The full list: listed ids are kept, others removed")
    change: Id | None = None
    owner: Id | None = None
    team: str | None = Field(None, max_length=100)
    engineer: Id | None = None


class PartOut(Schema):
    """A part and where its shipment is."""

    id: int
    part_number: str
    description: str
    quantity: int
    shipment: str
    expected_at: dt.datetime | None
    delivered_at: dt.datetime | None


class WorkWindowOut(Schema):
    """The window in the site's local time."""

    time_zone: str
    start: dt.datetime
    end: dt.datetime


class VisitOut(Schema):
    """One attendance: check-in (outside the window? how far from the site?) and check-out outcome."""

    id: int
    engineer: int | None = Field(None, alias="engineer_id")
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None
    outcome: Literal["on_site", "completed", "not_completed"]
    outside_window: bool = Field(..., description="Checked in beyond the category's tolerance around the window")
    minutes_early: int = Field(..., description="Minutes before the tolerance opened (0: not early)")
    minutes_late: int = Field(..., description="Minutes after the tolerance closed (0: not late)")
    outside_window_reason: str
    distance_m: float | None = Field(..., description="The device's distance from the site, when both are known")
    accuracy_m: float | None
    radius_m: int
    far_from_site: bool = Field(..., description="The device reported a place beyond radius_m from the site")
    failure_reason: str = Field(..., description="Why a not-completed visit failed (empty otherwise)")
    failure_note: str


class WorkOrderOut(Schema):
    """A work order, its owner, readiness flags and execution record (built by `rows.present`)."""

    id: int
    client: int = Field(..., alias="client_id")
    site: int = Field(..., alias="site_id")
    site_code: str
    services: list[int]
    category: str
    title: str
    description: str
    info: dict[str, Any]
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    local_window: WorkWindowOut | None
    priority: str
    estimated_minutes: int
    required_skills: list[str]
    required_certifications: list[str]
    parts: list[PartOut]
    change: int | None = Field(None, alias="change_id")
    owner: int = Field(..., alias="owner_id")
    owner_name: str
    team: str
    engineer: int | None = Field(None, alias="engineer_id")
    state: str
    allowed_transitions: list[str]
    blocked: bool
    at_risk: bool
    next_needed_by: dt.datetime | None
    rework_of: int | None = Field(None, alias="rework_of_id")
    first_time_fix: bool | None
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    completion_report: str
    checklist: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    visits: list[VisitOut] = Field(..., description="Check-ins and check-outs, oldest first")


class WorkTransitionIn(InSchema):
    """A move to another state, with the reason (required for cancelled, on hold, blocked)."""

    to: str | None = Field(None, max_length=30)
    reason: str = Field("", max_length=2000)


class BlockerOut(Schema):
    """One thing that stops the work being ready: what, who must act, by when, and which rule."""

    key: str
    kind: str
    detail: str
    owner: str
    needed_by: dt.datetime | None
    rule: str
    overridden: bool


class ReadinessOut(Schema):
    """The readiness gate's answer, computed now."""

    ready: bool
    at_risk: bool
    next_needed_by: dt.datetime | None
    notes: list[str] = Field(default_factory=list, description="What the gate decided without blocking, e.g. where the work fits around a freeze that covers part of the window")
    blockers: list[BlockerOut]


class OverrideIn(InSchema):
    """Proceed despite one blocker (its `key` from the readiness answer), with the reason."""

    blocker: str | None = Field(None, max_length=200)
    reason: str = Field("", max_length=2000)


class OverrideOut(Schema):
    """A recorded override."""

    id: int
    blocker: str
    reason: str
    by: int = Field(..., alias="by_id")
    at: dt.datetime


class VerdictOut(Schema):
    """One engineer's eligibility for the work, with every reason when not eligible."""

    engineer: int
    name: str
    eligible: bool
    reasons: list[str]


class HandoffIn(InSchema):
    """Hand the work to another owner and/or team, with a structured summary."""

    to_user: Id | None = None
    to_team: str | None = Field(None, max_length=100)
    done_so_far: str = Field("", max_length=10_000)
    next_step: str = Field("", max_length=10_000)
    open_questions: str = Field("", max_length=10_000)
    links: list[str] = Field([], max_length=50)


class HandoffOut(Schema):
    """A handoff: from, to, the summary, and whether (when) the receiver acknowledged it."""

    id: int
    work_order: int = Field(..., alias="work_order_id")
    from_user: int = Field(..., alias="from_user_id")
    to_user: int = Field(..., alias="to_user_id")
    from_team: str
    to_team: str
    done_so_far: str
    next_step: str
    open_questions: str
    links: list[str]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    escalation_level: int


class CommentIn(InSchema):
    """A comment; client users' comments are always client-visible."""

    body: str = Field("", max_length=20_000)
    visibility: Literal["internal", "client"] | None = Field(None, description="Default: internal (staff), client (client users)")


class CommentOut(Schema):
    """A comment."""

    id: int
    author: int = Field(..., alias="author_id")
    author_name: str
    body: str
    visibility: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author_name(obj: Any) -> str:
        return str(obj.author.get_full_name() or obj.author.get_username())


class ArrangementIn(InSchema):
    """What has been done about one site requirement (e.g. the access request approved)."""

    requirement: Id | None = None
    state: Literal["requested", "submitted", "approved", "rejected"] | None = None
    reference: str = Field("", max_length=200)
    note: str = Field("", max_length=10_000)


class ArrangementOut(Schema):
    """An arrangement for one site requirement."""

    id: int
    requirement: int = Field(..., alias="requirement_id")
    state: str
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    reference: str
    note: str


class CheckInIn(InSchema):
    """The time is the server's. Outside the visit's window (beyond the category's tolerance) a
    `reason` is required; the device's location is optional (its distance from the site is recorded)."""

    reason: str = Field("", max_length=2000, description="Why check in outside the window")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000, description="The location's accuracy, metres")


class SiteRuleOut(Schema):
    """A site rule the engineer must follow on the day."""

    id: int
    kind: str
    description: str


class CheckInOut(Schema):
    """The work order now on site, and the site's method statement and local standards."""

    work_order: WorkOrderOut
    rules: list[SiteRuleOut]


FailureReason = Literal["no_access", "parts_missing", "wrong_information", "client_not_ready", "other"]


class CheckOutIn(InSchema):
    """Completed: the completion report (the client sees it) and the category's checklist answers.
    Not completed: why (`failure_reason`; `failure_note` required with 'other'); the work goes on hold."""

    outcome: Literal["completed", "not_completed"] = "completed"
    failure_reason: FailureReason | None = None
    failure_note: str = Field("", max_length=2000)
    report: str = Field("", max_length=20_000)
    checklist: dict[str, bool] = {}
    first_time_fix: bool | None = None
