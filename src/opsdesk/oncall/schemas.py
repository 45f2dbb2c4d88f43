"""API schemas of on-call schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

from .rules import MAX_SHIFT_HOURS

Rotation = Literal["daily", "weekly", "custom"]
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class OncallRestrictionIn(InSchema):
    """An allowed local interval on some weekdays (Monday=0); end at or before start runs past midnight."""

    days: list[int] = Field(default_factory=lambda: list(range(7)), min_length=1, max_length=7)
    start: str = Field(..., pattern=HHMM)
    end: str = Field(..., pattern=HHMM)


class OncallLayerIn(InSchema):
    """A rotation of people: daily, weekly, or custom (shift_hours of wall-clock time, e.g. 12, or 48 for every 2 days)."""

    name: str = Field(..., min_length=1, max_length=100)
    rotation: Rotation = "weekly"
    shift_hours: float | None = Field(None, gt=0, le=MAX_SHIFT_HOURS)
    handoff: str = Field("09:00", pattern=HHMM, description="Local wall-clock time in the schedule's zone.")
    start: dt.date = Field(..., description="The first shift starts at the handoff on this day.")
    people: list[Id] = Field(default_factory=list, max_length=100, description="User ids in rotation order.")
    restrictions: list[OncallRestrictionIn] = Field(default_factory=list, max_length=50)
    level: int | None = Field(None, ge=-1000, le=1000, description=(
        "Higher levels win where they cover; default: the layer's place in the list (later layers win)."))


class OncallScheduleIn(InSchema):
    """A new schedule with its layers."""

    name: str = Field(..., min_length=1, max_length=120)
    time_zone: str = Field(..., min_length=1, max_length=64, description="IANA zone, e.g. Europe/London.")
    description: str = Field("", max_length=4000)
    team: str = Field("", max_length=100)
    region: Id | None = None
    client: Id | None = None
    services: list[Id] = Field(default_factory=list, max_length=500)
    sites: list[Id] = Field(default_factory=list, max_length=500)
    layers: list[OncallLayerIn] = Field(default_factory=list, max_length=20)


class OncallSchedulePatch(InSchema):
    """Fields of a schedule to change; `layers`, when given, replaces them all."""

    name: str | None = Field(None, min_length=1, max_length=120)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=4000)
    team: str | None = Field(None, max_length=100)
    region: Id | None = None
    client: Id | None = None
    services: list[Id] | None = Field(None, max_length=500)
    sites: list[Id] | None = Field(None, max_length=500)
    layers: list[OncallLayerIn] | None = Field(None, max_length=20)


class OncallPersonBrief(Schema):
    """A person on call."""

    id: int
    username: str


class OncallLayerOut(Schema):
    """A layer as stored."""

    id: int
    name: str
    level: int
    rotation: str
    shift_hours: float | None
    handoff: str
    start: dt.date
    people: list[OncallPersonBrief]
    restrictions: list[dict[str, Any]]

    @staticmethod
    def resolve_handoff(obj: Any) -> str:
        return f"{obj.handoff:%H:%M}"

    @staticmethod
    def resolve_start(obj: Any) -> dt.date:
        return obj.start_on  # type: ignore[no-any-return]

    @staticmethod
    def resolve_people(obj: Any) -> list[Any]:
        return [m.person for m in obj.members.all()]


class OncallScheduleOut(Schema):
    """A schedule, its attachments and layers."""

    id: int
    name: str
    description: str
    time_zone: str
    team: str
    region: int | None
    client: int | None
    services: list[int]
    sites: list[int]
    layers: list[OncallLayerOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_region(obj: Any) -> int | None:
        return obj.region_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_client(obj: Any) -> int | None:
        return obj.client_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_services(obj: Any) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_sites(obj: Any) -> list[int]:
        return [s.pk for s in obj.sites.all()]

    @staticmethod
    def resolve_layers(obj: Any) -> list[Any]:
        return list(obj.layers.all())


class OncallOverrideIn(InSchema):
    """Someone (`person`) covers from start to end, for `covers_for` or (absent) for whoever is on call
    (person, start and end are required: optional in the schema so that a schedule one may not see is 404 first)."""

    person: Id | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    covers_for: Id | None = None
    reason: str = Field("", max_length=300)


class OncallOverrideOut(Schema):
    """An override."""

    id: int
    person: OncallPersonBrief
    covers_for: OncallPersonBrief | None
    start: dt.datetime
    end: dt.datetime
    reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_start(obj: Any) -> dt.datetime:
        return obj.start_at  # type: ignore[no-any-return]

    @staticmethod
    def resolve_end(obj: Any) -> dt.datetime:
        return obj.end_at  # type: ignore[no-any-return]


class OnCallOut(Schema):
    """Who is on call at an instant."""

    at: dt.datetime
    people: list[OncallPersonBrief]


class OncallShiftOut(Schema):
    """One final shift."""

    person: OncallPersonBrief
    start: dt.datetime
    end: dt.datetime
    layer: int | None
    override: int | None


class OncallGapOut(Schema):
    """An interval nobody covers."""

    start: dt.datetime
    end: dt.datetime


class OncallShiftsOut(Schema):
    """The final schedule over an interval: shifts and gaps."""

    schedule: int
    start: dt.datetime
    end: dt.datetime
    shifts: list[OncallShiftOut]
    gaps: list[OncallGapOut]


class OncallWhoEntry(Schema):
    """One schedule's people on call."""

    schedule: int
    name: str
    time_zone: str
    people: list[OncallPersonBrief]


class OncallWhoOut(Schema):
    """Who is on call for a service, site or client."""

    at: dt.datetime
    schedules: list[OncallWhoEntry]
