"""API schemas of paging."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

Target = Literal["schedule", "person", "team", "roles"]
Role = Literal["commander", "communications", "operations"]
Mode = Literal["page", "business_hours", "ticket"]
Sev = Literal["sev1", "sev2", "sev3", "sev4"]


class StepIn(InSchema):
    """One step: whom to page (target, and ref/team/roles), then how long to wait for an acknowledgement."""

    target: Target
    ref: Id | None = Field(None, description="Schedule id (schedule) or user id (person).")
    team: str = Field("", max_length=150, description="Team: the on-call of the schedules of that team, else the auth group of that name.")
    roles: list[Role] = Field(default_factory=list, max_length=3)
    wait_minutes: float = Field(15, ge=0, le=10080)


class StepOut(Schema):
    position: int
    target: str = Field(alias="target_kind")
    ref: int | None = Field(alias="target_ref")
    team: str
    roles: list[str]
    wait_minutes: float


class PolicyIn(InSchema):
    """A new escalation policy (name required: optional in the schema so problems read the same)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    repeat: int = Field(0, ge=0, le=10)
    client: Id | None = None
    services: list[Id] = Field(default_factory=list, max_length=500)
    integrations: list[Id] = Field(default_factory=list, max_length=500)
    is_default: bool = False
    severity_rules: dict[Sev, Mode] | None = None
    steps: list[StepIn] = Field(default_factory=list, max_length=50)


class PolicyPatch(InSchema):
    """Fields of a policy to change (steps, when given, replace the old ones)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    repeat: int | None = Field(None, ge=0, le=10)
    client: Id | None = None
    services: list[Id] | None = Field(None, max_length=500)
    integrations: list[Id] | None = Field(None, max_length=500)
    is_default: bool | None = None
    severity_rules: dict[Sev, Mode] | None = None
    steps: list[StepIn] | None = Field(None, max_length=50)


class PolicyOut(Schema):
    id: int
    name: str
    description: str
    repeat: int
    client: int | None = Field(alias="client_id")
    services: list[int]
    integrations: list[int]
    is_default: bool
    severity_rules: dict[str, str]
    steps: list[StepOut]

    @staticmethod
    def resolve_services(obj: Any) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_integrations(obj: Any) -> list[int]:
        return [i.pk for i in obj.integrations.all()]

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return sorted(obj.steps.all(), key=lambda s: s.position)


class PageOut(Schema):
    person: str
    method: str
    state: str
    sent_at: dt.datetime | None
    cycle: int


class StepStatusOut(Schema):
    position: int
    target: str
    state: Literal["done", "due", "waiting"]
    at: dt.datetime | None
    due_at: dt.datetime | None
    wait_minutes: float
    pages: list[PageOut]


class EscalationOut(Schema):
    """The escalation of an incident: policy, state, urgency, the steps done/due/waiting with their pages."""

    policy: str | None
    state: str
    urgency: str | None
    cycle: int = 0
    run: int = Field(1, description="1 for the incident's first opening, 2 after it was reopened, ...")
    steps: list[StepStatusOut]
    next_due_at: dt.datetime | None


class ContactMethodIn(InSchema):
    kind: Literal["email", "chat", "webhook"] = "email"
    address: str = Field("", max_length=254, description="Email: blank means your account's email.")
    endpoint: Id | None = Field(None, description="Chat/webhook: a channels endpoint id.")
    label: str = Field("", max_length=100)


class ContactMethodOut(Schema):
    id: int
    person: int = Field(alias="person_id")
    kind: str
    address: str
    endpoint: int | None = Field(alias="endpoint_id")
    label: str


class RuleIn(InSchema):
    urgency: Literal["high", "low"]
    contact_method: Id
    delay_minutes: float = Field(0, ge=0, le=1440)


class RuleOut(Schema):
    id: int
    person: int = Field(alias="person_id")
    urgency: str
    contact_method: int = Field(alias="contact_method_id")
    delay_minutes: float


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ProfileIn(InSchema):
    """Time zone and quiet hours as local "HH:MM" (both, or both null)."""

    time_zone: str | None = Field(None, max_length=64)
    quiet_start: str | None = Field(None, pattern=HHMM)
    quiet_end: str | None = Field(None, pattern=HHMM)


class ProfileOut(Schema):
    person: int = Field(alias="person_id")
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None

    @staticmethod
    def resolve_quiet_start(obj: Any) -> str | None:
        return obj.quiet_start.strftime("%H:%M") if obj.quiet_start else None

    @staticmethod
    def resolve_quiet_end(obj: Any) -> str | None:
        return obj.quiet_end.strftime("%H:%M") if obj.quiet_end else None
