"""API schemas for change windows and freezes. Times in and out are site-local wall-clock times."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import WithJsonSchema

from opsdesk.core.schemas import Id, InSchema

from . import queries, rules
from .models import ChangeWindow

# A Literal, not ChangeWindow.Kind: OpenAPI names enum components by class name, and other
# apps' models have a `Kind` too.
WindowKind = Literal["window", "freeze"]
_START = "Local start of the first (or only) occurrence, without an offset, e.g. 2026-11-29T01:00."
_END = "Local end of a one-off (or of the first occurrence), without an offset; sets duration_minutes."
_RRULE = "RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SU; empty for a one-off. UNTIL is local (no 'Z')."


class ChangeWindowIn(InSchema):
    """A new window or freeze: give exactly one of site/region/client, and either rrule + duration_minutes or end."""

    kind: WindowKind
    name: str = Field(..., min_length=1, max_length=200)
    site: Id | None = None
    region: Id | None = None
    client: Id | None = None
    rrule: str = Field("", max_length=rules.MAX_RRULE_LENGTH, description=_RRULE)
    start: dt.datetime = Field(..., description=_START)
    end: dt.datetime | None = Field(None, description=_END)
    duration_minutes: int | None = Field(None, ge=1, le=rules.MAX_DURATION_MINUTES)


class ChangeWindowPatch(InSchema):
    """Changes to a window or freeze (to move its scope, set the old one to null)."""

    kind: WindowKind | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    site: Id | None = None
    region: Id | None = None
    client: Id | None = None
    rrule: str | None = Field(None, max_length=rules.MAX_RRULE_LENGTH, description=_RRULE)
    start: dt.datetime | None = Field(None, description=_START)
    end: dt.datetime | None = Field(None, description=_END)
    duration_minutes: int | None = Field(None, ge=1, le=rules.MAX_DURATION_MINUTES)


# A wall time without an offset: documented as such, not as an RFC 3339 `date-time` (which has one).
LocalDateTime = Annotated[dt.datetime, WithJsonSchema({
    "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
    "description": "A local wall time without a UTC offset, e.g. 2026-11-29T01:00:00.",
})]


class OccurrenceOut(Schema):
    """One occurrence at a site, in that site's local time (ISO 8601 with its offset)."""

    site: int
    site_code: str
    start: dt.datetime
    end: dt.datetime


class ChangeWindowOut(Schema):
    """A window or freeze. `upcoming`: the next 5 occurrences at the scope's first site (by code), in its zone."""

    id: int
    kind: str
    name: str
    site: int | None = Field(None, alias="site_id")
    region: int | None = Field(None, alias="region_id")
    client: int | None = Field(None, alias="client_id")
    rrule: str
    start: LocalDateTime = Field(..., description="Local start of the first occurrence (no offset).")
    end: LocalDateTime = Field(..., description="Local end of the first occurrence (no offset).")
    duration_minutes: int
    time_zone: str | None = Field(None, description="The site's zone for a site rule; null: each site's own zone.")
    upcoming: list[OccurrenceOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_start(obj: ChangeWindow) -> dt.datetime:
        return dt.datetime.combine(obj.start_on, obj.start_time)

    @staticmethod
    def resolve_end(obj: ChangeWindow) -> dt.datetime:
        start = dt.datetime.combine(obj.start_on, obj.start_time)
        duration = dt.timedelta(minutes=obj.duration_minutes)
        if obj.site_id and obj.site:
            zone = rules.zone(obj.site.time_zone)
            aware = start.replace(tzinfo=zone).astimezone(dt.UTC) + duration
            return aware.astimezone(zone).replace(tzinfo=None)
        return start + duration

    @staticmethod
    def resolve_time_zone(obj: ChangeWindow) -> str | None:
        return obj.site.time_zone if obj.site_id and obj.site else None

    @staticmethod
    def resolve_upcoming(obj: ChangeWindow) -> list[dict[str, object]]:
        return [
            {"site": o.site_id, "site_code": o.site_code, "start": o.start, "end": o.end}
            for o in queries.upcoming(obj)
        ]
