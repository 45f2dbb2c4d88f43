"""Use cases for engineers and their qualifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import crud, timeline
from opsdesk.core.errors import PermissionDenied, field_error
from opsdesk.sites.models import Site

from .models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)

NESTED = ("skills", "certifications", "site_access")


def create_skill(data: dict[str, Any], *, actor: User) -> Skill:
    """Add a skill to the catalogue."""
    return crud.create(Skill, data, actor=actor)


def create_certification(data: dict[str, Any], *, actor: User) -> Certification:
    """Add a certification type to the catalogue."""
    return crud.create(Certification, data, actor=actor)


def _by_code(model: type[Skill] | type[Certification], codes: list[str], field: str) -> dict[str, Any]:
    found = {o.code: o for o in model.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise field_error(field, f"unknown code(s): {', '.join(missing)}")
    return found


def _replace_qualifications(engineer: Engineer, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Replace the nested lists present in `data`; returns timeline changes."""
    changes: dict[str, list[Any]] = {}
    if data.get("skills") is not None:
        rows = data["skills"]
        skills = _by_code(Skill, [r["skill"] for r in rows], "skills")
        before = sorted((s.skill.code, s.level) for s in engineer.skills.select_related("skill"))
        engineer.skills.all().delete()
        EngineerSkill.objects.bulk_create(
            EngineerSkill(engineer=engineer, skill=skills[r["skill"]], level=r["level"]) for r in rows
        )
        changes["skills"] = [before, sorted((r["skill"], r["level"]) for r in rows)]
    if data.get("certifications") is not None:
        rows = data["certifications"]
        certs = _by_code(Certification, [r["certification"] for r in rows], "certifications")
        engineer.certifications.all().delete()
        EngineerCertification.objects.bulk_create(
            EngineerCertification(
                engineer=engineer, certification=certs[r["certification"]],
                expires_on=r["expires_on"], obtained_on=r.get("obtained_on"),
            )
            for r in rows
        )
        changes["certifications"] = [None, [[r["certification"], str(r["expires_on"])] for r in rows]]
    if data.get("site_access") is not None:
        rows = data["site_access"]
        crud.resolve_ids(Site, [r["site"] for r in rows], "site_access")
        engineer.site_access.all().delete()
        SiteAccess.objects.bulk_create(
            SiteAccess(
                engineer=engineer, site_id=r["site"], kind=r["kind"],
                expires_on=r.get("expires_on"), granted_on=r.get("granted_on"),
            )
            for r in rows
        )
        changes["site_access"] = [None, [[r["site"], str(r["kind"]), str(r.get("expires_on"))] for r in rows]]
    return {k: v for k, v in changes.items() if v[0] != v[1]}


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    rename = {"home_region": "home_region_id", "user": "user_id"}
    return {rename.get(k, k): v for k, v in data.items() if k not in NESTED}


def _check_unique(rows: list[dict[str, Any]] | None, key: tuple[str, ...], field: str) -> None:
    if rows is None:
        return
    seen = [tuple(str(r[k]) for k in key) for r in rows]
    if len(seen) != len(set(seen)):
        raise field_error(field, "lists the same entry twice")


@transaction.atomic
def save_engineer(engineer: Engineer | None, data: dict[str, Any], *, actor: User) -> Engineer:
    """Create (engineer=None) or update an engineer with their skills, certifications and access."""
    _check_unique(data.get("skills"), ("skill",), "skills")
    _check_unique(data.get("certifications"), ("certification",), "certifications")
    _check_unique(data.get("site_access"), ("site", "kind"), "site_access")
    if engineer is None:
        engineer = crud.create(Engineer, _fields(data), actor=actor)
    else:
        engineer = crud.update(engineer, _fields(data), actor=actor)
    changes = _replace_qualifications(engineer, data)
    if changes:
        timeline.record(engineer, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
    return engineer


def delete_engineer(engineer: Engineer, *, actor: User) -> None:
    """Remove an engineer."""
    crud.delete(engineer, actor=actor)


MAX_ABSENCE = dt.timedelta(days=366)


@transaction.atomic
def record_absence(engineer: Engineer, data: dict[str, Any], *, actor: User) -> Absence:
    """The engineer is away from `start_at` to `end_at` (sick, leave, training): eligibility and
    dispatch plans leave that time out. On the engineer's timeline."""
    if not actor.has_perm_code("engineers.write"):
        raise PermissionDenied(f"Your role ({actor.get_role_display()}) may not do this (engineers.write).")
    start, end = data.get("start_at"), data.get("end_at")
    if start is None:
        raise field_error("start_at", "say when the absence starts")
    if end is None:
        raise field_error("end_at", "say when the absence ends")
    if end <= start:
        raise field_error("end_at", "must be after start_at")
    if end - start > MAX_ABSENCE:
        raise field_error("end_at", "an absence lasts at most a year; record longer ones as leaving (inactive)")
    reason = (data.get("reason") or "").strip()
    absence = Absence.objects.create(engineer=engineer, start_at=start, end_at=end, reason=reason)
    timeline.record(engineer, "absence_recorded", actor=actor,
                    summary=f"Away {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC" + (f": {reason}" if reason else ""),
                    changes={"absence": {"start_at": start.isoformat(), "end_at": end.isoformat(), "reason": reason}})
    return absence
