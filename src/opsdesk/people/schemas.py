"""API schemas for engineers, skills and certifications."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core import clock
from opsdesk.core.schemas import Id, InSchema, Instant
from opsdesk.sites.rules import default_business_hours

from . import rules
from .models import Engineer, EngineerCertification, SiteAccess

CODE = r"^[-a-zA-Z0-9_]+$"
Hours = dict[str, list[list[str]]]


class SkillIn(InSchema):
    """A new skill."""

    code: str = Field(..., min_length=1, max_length=40, pattern=CODE)
    name: str = Field(..., min_length=1, max_length=100)


class SkillOut(Schema):
    """A skill."""

    id: int
    code: str
    name: str


class CertificationIn(InSchema):
    """A new certification type."""

    code: str = Field(..., min_length=1, max_length=40, pattern=CODE)
    name: str = Field(..., min_length=1, max_length=100)
    validity_months: int = Field(36, ge=1, le=240)


class CertificationOut(Schema):
    """A certification type."""

    id: int
    code: str
    name: str
    validity_months: int


class EngineerSkillIO(InSchema):
    """A skill held at a level (1-5); `skill` is the skill's code."""

    skill: str
    level: int = Field(3, ge=1, le=5)


class EngineerCertificationIn(InSchema):
    """A certification held; `certification` is its code."""

    certification: str
    expires_on: dt.date
    obtained_on: dt.date | None = None


class EngineerCertificationOut(EngineerCertificationIn):
    """A certification held, with its status today (valid, expiring, expired)."""

    status: str


class SiteAccessIn(InSchema):
    """Access, induction or clearance at a site (site id)."""

    site: Id
    kind: SiteAccess.Kind = SiteAccess.Kind.ACCESS
    expires_on: dt.date | None = None
    granted_on: dt.date | None = None


class SiteAccessOut(SiteAccessIn):
    """Site access with its status today."""

    status: str


class EngineerIn(InSchema):
    """A new engineer. Nested lists replace what the engineer holds."""

    name: str = Field(..., min_length=1, max_length=150)
    email: str = ""
    phone: str = ""
    user: Id | None = None
    home_region: Id
    base_location: str = ""
    base_latitude: float | None = Field(None, ge=-90, le=90)
    base_longitude: float | None = Field(None, ge=-180, le=180)
    time_zone: str = "UTC"
    working_hours: Hours = Field(default_factory=default_business_hours)
    active: bool = True
    skills: list[EngineerSkillIO] = []
    certifications: list[EngineerCertificationIn] = []
    site_access: list[SiteAccessIn] = []


class EngineerPatch(InSchema):
    """Changes to an engineer; a nested list given replaces the current one."""

    name: str | None = Field(None, min_length=1, max_length=150)
    email: str | None = None
    phone: str | None = None
    user: Id | None = None
    home_region: Id | None = None
    base_location: str | None = None
    base_latitude: float | None = Field(None, ge=-90, le=90)
    base_longitude: float | None = Field(None, ge=-180, le=180)
    time_zone: str | None = None
    working_hours: Hours | None = None
    active: bool | None = None
    skills: list[EngineerSkillIO] | None = None
    certifications: list[EngineerCertificationIn] | None = None
    site_access: list[SiteAccessIn] | None = None


class EngineerOut(Schema):
    """An engineer with skills, certifications and site access."""

    id: int
    name: str
    email: str
    phone: str
    user: int | None = Field(None, alias="user_id")
    home_region: int = Field(..., alias="home_region_id")
    base_location: str
    base_latitude: float | None
    base_longitude: float | None
    time_zone: str
    working_hours: Hours
    active: bool
    skills: list[EngineerSkillIO]
    certifications: list[EngineerCertificationOut]
    site_access: list[SiteAccessOut]

    @staticmethod
    def resolve_skills(obj: Engineer) -> list[dict[str, object]]:
        return [{"skill": s.skill.code, "level": s.level} for s in obj.skills.all()]

    @staticmethod
    def resolve_certifications(obj: Engineer) -> list[dict[str, object]]:
        today = clock.today_utc()
        return [_cert(c, today) for c in obj.certifications.all()]

    @staticmethod
    def resolve_site_access(obj: Engineer) -> list[dict[str, object]]:
        today = clock.today_utc()
        return [
            {
                "site": a.site_id, "kind": a.kind, "expires_on": a.expires_on,
                "granted_on": a.granted_on, "status": rules.expiry_status(a.expires_on, today),
            }
            for a in obj.site_access.all()
        ]


def _cert(c: EngineerCertification, today: dt.date) -> dict[str, object]:
    return {
        "certification": c.certification.code, "expires_on": c.expires_on,
        "obtained_on": c.obtained_on, "status": rules.expiry_status(c.expires_on, today),
    }


class AbsenceIn(InSchema):
    """Time an engineer is away (fields optional in the schema; the service says what is missing)."""

    start_at: Instant | None = None
    end_at: Instant | None = None
    reason: str = Field("", max_length=200)


class AbsenceOut(Schema):
    """An absence."""

    id: int
    engineer: int = Field(..., alias="engineer_id")
    start_at: dt.datetime
    end_at: dt.datetime
    reason: str
