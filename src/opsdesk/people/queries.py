"""Reads of engineers, skills and certifications (staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from opsdesk.core.queries import id_or_code
from opsdesk.core.tenancy import get_scoped, scope

from .models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)


def _engineers() -> QuerySet[Engineer]:
    return Engineer.objects.select_related("home_region", "user").prefetch_related(
        Prefetch("skills", queryset=EngineerSkill.objects.select_related("skill").order_by("skill__name")),
        Prefetch(
            "certifications",
            queryset=EngineerCertification.objects.select_related("certification").order_by("expires_on"),
        ),
        Prefetch("site_access", queryset=SiteAccess.objects.select_related("site").order_by("site__code", "kind")),
    )


def list_engineers(
    user: Any,
    *,
    region: str | None = None,
    skill: str | None = None,
    certification: str | None = None,
    site: int | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> QuerySet[Engineer]:
    """Engineers the user may see (staff only), with skills, certifications and access."""
    qs = scope(_engineers(), user)
    if region:
        qs = qs.filter(id_or_code(region, prefix="home_region__"))
    if skill:
        qs = qs.filter(id_or_code(skill, prefix="skills__skill__"))
    if certification:
        qs = qs.filter(id_or_code(certification, prefix="certifications__certification__"))
    if site:
        qs = qs.filter(site_access__site_id=site)
    if active is not None:
        qs = qs.filter(active=active)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.distinct().order_by("name")


def get_engineer(user: Any, engineer_id: int) -> Engineer:
    """One engineer with everything that qualifies them, or NotFound."""
    return get_scoped(_engineers(), user, pk=engineer_id)


def list_skills(user: Any) -> QuerySet[Skill]:
    """All skills."""
    return scope(Skill.objects.all(), user)


def list_certifications(user: Any) -> QuerySet[Certification]:
    """All certification types."""
    return scope(Certification.objects.all(), user)


def list_site_access(user: Any, *, site: int) -> QuerySet[SiteAccess]:
    """Engineers' access grants, inductions and clearances at one site (staff only)."""
    qs = SiteAccess.objects.select_related("engineer", "engineer__home_region").filter(site_id=site)
    return scope(qs, user).order_by("engineer__name", "kind")


def list_absences(user: Any, *, engineer: int) -> QuerySet[Absence]:
    """An engineer's absences, in date order (staff only)."""
    return scope(Absence.objects.filter(engineer_id=engineer), user).order_by("start_at")
