"""API schemas of postmortems, action items and problems.

Bodies posted to /{collection}/{id}/... have only optional fields: the handler looks the object up
first (404 for one the caller may not see) and the service names what is missing (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from opsdesk.core import clock
from opsdesk.core.schemas import MAX_YEAR, MIN_YEAR, Id, InSchema

from . import rules
from .models import ActionItem, Postmortem, Problem

SECTION_MAX = 50_000

# Literals rather than the models' TextChoices: OpenAPI names an enum after its class ("State"),
# and two enums of the same name would overwrite each other.
PostmortemState = Literal["draft", "in_review", "published"]
ActionState = Literal["open", "in_progress", "done", "wont_do"]
ProblemState = Literal["proposed", "open", "known_error", "resolved", "dismissed"]


def _day(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


Day = Annotated[dt.date, AfterValidator(_day)]
"""A calendar day from input, within the years every part of opsdesk handles."""

Section = Annotated[str, Field(max_length=SECTION_MAX)]


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


class PostmortemStartIn(InSchema):
    """Start the postmortem of a resolved or closed incident (the same one again if it exists)."""

    incident: Id
    owner: Id | None = Field(None, description="Default: you")


class PostmortemPatch(InSchema):
    """Edits to a draft or in-review postmortem."""

    summary: Section | None = None
    impact: Section | None = None
    detection: Section | None = None
    response: Section | None = None
    contributing_factors: Section | None = None
    went_well: Section | None = None
    was_hard: Section | None = None
    owner: Id | None = None


class TransitionIn(InSchema):
    """A move to another state, with an optional reason for the timeline."""

    to: str | None = Field(None, max_length=30)
    reason: str = Field("", max_length=500)


class ActionIn(InSchema):
    """A new action item: what, who, by when (all required; the service names what is missing)."""

    title: str | None = Field(None, max_length=300)
    owner: Id | None = None
    due_on: Day | None = None


class ActionPatch(InSchema):
    """Changes to an action item; `state` tracks it to done (or won't do)."""

    title: str | None = Field(None, max_length=300)
    owner: Id | None = None
    due_on: Day | None = None
    state: ActionState | None = None


class ActionOut(Schema):
    """An action item, owned and due; `overdue` when still open after its due day (UTC)."""

    id: int
    postmortem: int = Field(..., alias="postmortem_id")
    title: str
    owner: int = Field(..., alias="owner_id")
    owner_name: str
    due_on: dt.date
    state: ActionState
    allowed_transitions: list[str]
    overdue: bool
    done_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_owner_name(obj: ActionItem) -> str:
        return _name(obj.owner)

    @staticmethod
    def resolve_overdue(obj: ActionItem) -> bool:
        return rules.is_overdue(obj, clock.today_utc())

    @staticmethod
    def resolve_allowed_transitions(obj: ActionItem) -> list[str]:
        return sorted(rules.ACTION_MACHINE.allowed(obj.state))


class PostmortemOut(Schema):
    """A blameless review of one incident, with its action items."""

    id: int
    incident: int = Field(..., alias="incident_id")
    incident_title: str
    state: PostmortemState
    allowed_transitions: list[str]
    summary: str
    impact: str
    detection: str
    response: str
    contributing_factors: str
    went_well: str
    was_hard: str
    owner: int = Field(..., alias="owner_id")
    owner_name: str
    actions: list[ActionOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_incident_title(obj: Postmortem) -> str:
        return obj.incident.title

    @staticmethod
    def resolve_owner_name(obj: Postmortem) -> str:
        return _name(obj.owner)

    @staticmethod
    def resolve_actions(obj: Postmortem) -> list[Any]:
        return list(obj.actions.all())

    @staticmethod
    def resolve_allowed_transitions(obj: Postmortem) -> list[str]:
        return sorted(rules.POSTMORTEM_MACHINE.allowed(obj.state))


class ProblemPatch(InSchema):
    """Changes to a problem: its words, its owner, its state."""

    title: str | None = Field(None, max_length=200)
    state: ProblemState | None = None
    known_error: Section | None = None
    workaround: Section | None = None
    owner: Id | None = None


class LinkIn(InSchema):
    """The incident to make part of the problem."""

    incident: Id | None = None


class IncidentBrief(Schema):
    """An incident linked to a problem."""

    id: int
    title: str
    severity: str
    state: str
    detected_at: dt.datetime


class ProblemOut(Schema):
    """A recurring failure: its incidents, known error and workaround."""

    id: int
    title: str
    service: int | None = Field(None, alias="service_id")
    service_name: str
    signature: str
    state: ProblemState
    allowed_transitions: list[str]
    known_error: str
    workaround: str
    owner: int | None = Field(None, alias="owner_id")
    owner_name: str
    clients: list[int]
    incidents: list[IncidentBrief]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_service_name(obj: Problem) -> str:
        return obj.service.name if obj.service is not None else ""

    @staticmethod
    def resolve_owner_name(obj: Problem) -> str:
        return _name(obj.owner)

    @staticmethod
    def resolve_clients(obj: Problem) -> list[int]:
        return sorted(c.pk for c in obj.clients.all())

    @staticmethod
    def resolve_incidents(obj: Problem) -> list[Any]:
        return list(obj.incidents.all())

    @staticmethod
    def resolve_allowed_transitions(obj: Problem) -> list[str]:
        return sorted(rules.PROBLEM_MACHINE.allowed(obj.state))
