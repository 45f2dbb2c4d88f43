"""API schemas of incidents, their roles, updates and alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema, Instant

from . import rules

Sev = Literal["sev1", "sev2", "sev3", "sev4"]


class RoleOut(Schema):
    """Who holds a role, and whether they acknowledged it."""

    role: str
    user: int = Field(alias="user_id")
    username: str
    assigned_at: dt.datetime
    acknowledged_at: dt.datetime | None
    note: str

    @staticmethod
    def resolve_username(obj: Any) -> str:
        return str(obj.user.get_username())


class IncidentOut(Schema):
    """An incident: state, owner and roles, impact, what changed, metrics, next update due."""

    id: int
    title: str
    summary: str
    severity: str
    state: str
    owner: int = Field(alias="owner_id")
    owner_name: str
    services: list[int]
    sites: list[int]
    impact: dict[str, Any]
    what_changed: list[dict[str, Any]]
    roles: list[RoleOut]
    change: int | None = Field(None, alias="change_id")
    problem: int | None = Field(None, alias="problem_id")
    signature: str
    started_at: dt.datetime
    detected_at: dt.datetime
    acknowledged_at: dt.datetime | None
    mitigated_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    next_update_due_at: dt.datetime | None
    metrics: dict[str, int | None]

    @staticmethod
    def resolve_owner_name(obj: Any) -> str:
        return str(obj.owner.get_full_name() or obj.owner.get_username())

    @staticmethod
    def resolve_services(obj: Any) -> list[int]:
        return sorted(s.pk for s in obj.services.all())

    @staticmethod
    def resolve_sites(obj: Any) -> list[int]:
        return sorted(s.pk for s in obj.sites.all())

    @staticmethod
    def resolve_roles(obj: Any) -> list[Any]:
        return [] if getattr(obj, "internal_hidden", False) else list(obj.roles.all())

    @staticmethod
    def resolve_what_changed(obj: Any) -> list[dict[str, Any]]:
        return [] if getattr(obj, "internal_hidden", False) else list(obj.what_changed or [])

    @staticmethod
    def resolve_metrics(obj: Any) -> dict[str, int | None]:
        return rules.metrics(obj.started_at, obj.detected_at, obj.acknowledged_at, obj.mitigated_at, obj.resolved_at)


class IncidentIn(InSchema):
    """Declare an incident by hand."""

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=20000)
    severity: Sev = "sev3"
    services: list[Id] = Field(default_factory=list, max_length=200)
    sites: list[Id] = Field(default_factory=list, max_length=200)
    owner: Id | None = None
    started_at: Instant | None = None


class IncidentPatch(InSchema):
    """Fields to change."""

    title: str | None = Field(None, min_length=1, max_length=300)
    summary: str | None = Field(None, max_length=20000)
    severity: Sev | None = None
    services: list[Id] | None = Field(None, max_length=200)
    sites: list[Id] | None = Field(None, max_length=200)


# Bodies of actions on one incident have only optional fields, checked after the incident is
# found: another client's incident answers 404 whatever the body (the isolation probe).


class TransitionIn(InSchema):
    """Move to a state, with the reason (required to resolve or close)."""

    to: str = Field("", max_length=30)
    reason: str = Field("", max_length=2000)


class OwnerIn(InSchema):
    """Hand the incident to another owner."""

    owner: Id | None = None
    note: str = Field("", max_length=2000)


class RoleIn(InSchema):
    """Give a role to a person (a handoff they acknowledge)."""

    role: Literal["commander", "communications", "operations"] | None = None
    user: Id | None = None
    note: str = Field("", max_length=2000)


class RoleAckIn(InSchema):
    """Acknowledge a role you were given."""

    role: Literal["commander", "communications", "operations"] | None = None


class UpdateIn(InSchema):
    """A status update for one audience."""

    audience: Literal["responders", "clients", "end_users"] | None = None
    body: str = Field("", max_length=20000)
    can_do: str = Field("", max_length=5000)
    cannot_do: str = Field("", max_length=5000)
    workaround: str = Field("", max_length=5000)
    next_update_at: Instant | None = None


class UpdateOut(Schema):
    """A posted status update."""

    id: int
    audience: str
    body: str
    can_do: str
    cannot_do: str
    workaround: str
    next_update_at: dt.datetime | None
    posted_by: str
    posted_at: dt.datetime

    @staticmethod
    def resolve_posted_by(obj: Any) -> str:
        return str(obj.posted_by.get_full_name() or obj.posted_by.get_username())


class NoteIn(InSchema):
    """A note on the timeline."""

    text: str = Field("", max_length=20000)


class LinkChangeIn(InSchema):
    """The change that caused the incident."""

    change: Id | None = None
