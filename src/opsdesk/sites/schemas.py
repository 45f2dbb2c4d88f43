"""API schemas for regions, sites and site requirements."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core import clock
from opsdesk.core.schemas import Id, InSchema

from . import rules
from .models import Site, SiteRequirement

CODE = r"^[-a-zA-Z0-9_]+$"
Hours = dict[str, list[list[str]]]


class RegionIn(InSchema):
    """A new region."""

    code: str = Field(..., min_length=1, max_length=20, pattern=CODE)
    name: str = Field(..., min_length=1, max_length=100)
    travel_speed_kmh: int = Field(50, ge=1, le=1000)


class RegionPatch(InSchema):
    """Changes to a region."""

    code: str | None = Field(None, min_length=1, max_length=20, pattern=CODE)
    name: str | None = Field(None, min_length=1, max_length=100)
    travel_speed_kmh: int | None = Field(None, ge=1, le=1000)


class RegionOut(Schema):
    """A region."""

    id: int
    code: str
    name: str
    travel_speed_kmh: int


class SiteIn(InSchema):
    """A new site. Times in business_hours are site-local."""

    code: str = Field(..., min_length=1, max_length=40, pattern=CODE)
    name: str = Field(..., min_length=1, max_length=200)
    kind: Site.Kind
    region: Id
    clients: list[Id] = []
    address: str = ""
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    time_zone: str = Field(..., max_length=64, description="IANA time zone, e.g. Europe/London")
    holiday_country: str = Field("", max_length=2)
    holiday_subdivision: str = Field("", max_length=10)
    business_hours: Hours = Field(default_factory=rules.default_business_hours)


class SitePatch(InSchema):
    """Changes to a site."""

    code: str | None = Field(None, min_length=1, max_length=40, pattern=CODE)
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Site.Kind | None = None
    region: Id | None = None
    clients: list[Id] | None = None
    address: str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    time_zone: str | None = Field(None, max_length=64)
    holiday_country: str | None = Field(None, max_length=2)
    holiday_subdivision: str | None = Field(None, max_length=10)
    business_hours: Hours | None = None


class SiteOut(Schema):
    """A site, with its current local time."""

    id: int
    code: str
    name: str
    kind: str
    region: int = Field(..., alias="region_id")
    clients: list[int]
    address: str
    latitude: float | None
    longitude: float | None
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    business_hours: Hours
    local_time: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_clients(obj: Site) -> list[int]:
        return sorted(c.pk for c in obj.clients.all())

    @staticmethod
    def resolve_local_time(obj: Site) -> dt.datetime:
        return rules.local_now(obj.time_zone, clock.now()).replace(microsecond=0)


class HolidayOut(Schema):
    """A public holiday at a site."""

    date: dt.date
    name: str


class SiteClockOut(Schema):
    """A site's time now: local time, offset, open or closed, holidays ahead."""

    site: Id
    time_zone: str
    local_time: dt.datetime
    utc_offset: str
    open_now: bool
    holidays_ahead: list[HolidayOut]


class RequirementIn(InSchema):
    """A new site requirement."""

    site: Id
    kind: SiteRequirement.Kind
    description: str = Field(..., min_length=1)
    lead_time_hours: int = Field(0, ge=0, le=24 * 365)
    categories: list[str] = []
    blocking: bool = True
    permitted_hours: Hours | None = None


class RequirementPatch(InSchema):
    """Changes to a site requirement."""

    kind: SiteRequirement.Kind | None = None
    description: str | None = Field(None, min_length=1)
    lead_time_hours: int | None = Field(None, ge=0, le=24 * 365)
    categories: list[str] | None = None
    blocking: bool | None = None
    permitted_hours: Hours | None = None


class RequirementOut(Schema):
    """A site requirement."""

    id: int
    site: int = Field(..., alias="site_id")
    kind: str
    description: str
    lead_time_hours: int
    categories: list[str]
    blocking: bool
    permitted_hours: Hours | None



MAX_ADD_SECONDS = 10 * 365 * 86400


class BusinessTimeOut(Schema):
    """Business seconds between two instants, or the instant when N business seconds will have elapsed."""

    business_seconds: int | float | None = Field(
        None, description="Open seconds of the site's calendar in [start, end): business hours, less holidays."
    )
    due: dt.datetime | None = Field(
        None, description="The earliest instant at which add_seconds business seconds have elapsed, in the site's zone."
    )
