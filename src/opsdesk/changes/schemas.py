"""API schemas for change requests, approvals, collisions, risk and the change failure rate.

Bodies posted to /changes/{id}/... have only optional fields: the handler looks the change up
first (404 for one the caller may not see) and the service names what is missing (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema, Instant

from .models import ChangeRequest
from .rules import MACHINE

# Literals rather than the models' TextChoices: OpenAPI names an enum component after its class
# ("Type", "Outcome"), and two apps' enums of the same name would overwrite each other.
ChangeType = Literal["standard", "normal", "emergency"]
Outcome = Literal["successful", "successful_with_issues", "rolled_back", "failed"]


class RollbackPlan(InSchema):
    """How to undo the change: the steps, what triggers a rollback, and how long it takes."""

    steps: str = Field(..., min_length=1)
    trigger: str = Field(..., min_length=1)
    duration_minutes: int = Field(..., ge=1, le=7 * 24 * 60)


class ChangeIn(InSchema):
    """A new change (a draft). Times carry their offset: enter them in the site's local time."""

    type: ChangeType = "normal"
    title: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    services: list[Id] = []
    sites: list[Id] | None = Field(None, description="Affected sites; default: where the services run")
    window_start: Instant
    window_end: Instant
    implementation_plan: str = ""
    verification_plan: str = ""
    rollback_plan: RollbackPlan | None = None
    owner: Id | None = Field(None, description="Default: you")
    implementers: list[Id] = []
    team: str = Field("", max_length=100)


class ChangePatch(InSchema):
    """Changes to a change that is not yet approved (approvals given so far are reset)."""

    type: ChangeType | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    services: list[Id] | None = None
    sites: list[Id] | None = None
    window_start: Instant | None = None
    window_end: Instant | None = None
    implementation_plan: str | None = None
    verification_plan: str | None = None
    rollback_plan: RollbackPlan | None = None
    owner: Id | None = None
    implementers: list[Id] | None = None
    team: str | None = Field(None, max_length=100)


class TransitionIn(InSchema):
    """A move to another state, with the reason (required for cancelled, rolled back, failed)."""

    to: str | None = Field(None, max_length=30)
    reason: str = ""


class DecisionIn(InSchema):
    """An approver's decision, in the capacity they act in."""

    capacity: Literal["peer", "change_approver", "client", "emergency"] | None = None
    decision: Literal["approved", "rejected"] | None = None
    comment: str = ""


class ReviewIn(InSchema):
    """The post-implementation review."""

    outcome: Outcome | None = None
    caused_incident: bool | None = None
    lessons: str | None = None


class RiskComponentOut(Schema):
    """One part of the risk score."""

    name: str
    points: int
    detail: str


class RiskOut(Schema):
    """The risk level, score and its parts."""

    level: str
    score: int
    components: list[RiskComponentOut]


class ApprovalOut(Schema):
    """One decision."""

    id: int
    approver: int = Field(..., alias="approver_id")
    approver_name: str
    capacity: str
    decision: str
    comment: str
    decided_at: dt.datetime

    @staticmethod
    def resolve_approver_name(obj: Any) -> str:
        return str(obj.approver.get_full_name() or obj.approver.get_username())


class LocalWindowOut(Schema):
    """The window in one affected site's local time."""

    site: int
    site_code: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime


class ChangeOut(Schema):
    """A change request with its plans, risk, approvals and review."""

    id: int
    type: str
    title: str
    description: str
    services: list[int]
    sites: list[int]
    clients: list[int]
    window_start: dt.datetime
    window_end: dt.datetime
    local_windows: list[LocalWindowOut]
    implementation_plan: str
    verification_plan: str
    rollback_plan: dict[str, Any] | None
    owner: int = Field(..., alias="owner_id")
    implementers: list[int]
    team: str
    state: str
    allowed_transitions: list[str]
    risk: dict[str, Any]
    risk_level: str
    approvals: list[ApprovalOut]
    outcome: str
    caused_incident: bool
    lessons: str
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None

    @staticmethod
    def resolve_services(obj: ChangeRequest) -> list[int]:
        return sorted(s.pk for s in obj.services.all())

    @staticmethod
    def resolve_sites(obj: ChangeRequest) -> list[int]:
        return sorted(s.pk for s in obj.sites.all())

    @staticmethod
    def resolve_clients(obj: ChangeRequest) -> list[int]:
        return sorted(c.pk for c in obj.clients.all())

    @staticmethod
    def resolve_implementers(obj: ChangeRequest) -> list[int]:
        return sorted(u.pk for u in obj.implementers.all())

    @staticmethod
    def resolve_approvals(obj: ChangeRequest) -> list[Any]:
        return list(obj.approvals.all())

    @staticmethod
    def resolve_allowed_transitions(obj: ChangeRequest) -> list[str]:
        return sorted(MACHINE.allowed(obj.state))

    @staticmethod
    def resolve_local_windows(obj: ChangeRequest) -> list[dict[str, Any]]:
        return [
            {
                "site": s.pk, "site_code": s.code, "time_zone": s.time_zone,
                "start": obj.window_start.astimezone(ZoneInfo(s.time_zone)),
                "end": obj.window_end.astimezone(ZoneInfo(s.time_zone)),
            }
            for s in obj.sites.all()
        ]


class ApprovalStatusOut(Schema):
    """The decisions so far, what the change's risk requires, what is missing, what blocks approval."""

    change: int
    state: str
    risk_level: str
    decisions: list[ApprovalOut]
    required: list[str]
    missing: list[str]
    blocked_by: list[str]
    complete: bool


class CollisionOut(Schema):
    """Another planned change or visit overlapping this change, and why."""

    ref: str
    kind: str
    label: str
    change: int | None = Field(None, alias="change_id")
    start_at: dt.datetime
    end_at: dt.datetime
    state: str
    reasons: list[str]


class FailureRateOut(Schema):
    """Implemented changes and failures (rolled back, failed, caused an incident) for one group."""

    key: str
    label: str
    implemented: int
    failures: int
    rate: float
