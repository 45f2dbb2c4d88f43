"""Admin for skills, certifications and engineers (skills, certifications, access, absences inline)."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)


@admin.register(Skill)
class SkillAdmin(TimelineAdminMixin, admin.ModelAdmin[Skill]):
    """Skills engineers hold."""

    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Certification)
class CertificationAdmin(TimelineAdminMixin, admin.ModelAdmin[Certification]):
    """Certification types."""

    list_display = ("name", "code", "validity_months")
    search_fields = ("name", "code")


class EngineerSkillInline(admin.TabularInline[EngineerSkill, Engineer]):
    """An engineer's skills and levels."""

    model = EngineerSkill
    extra = 0
    autocomplete_fields = ("skill",)


class EngineerCertificationInline(admin.TabularInline[EngineerCertification, Engineer]):
    """An engineer's certifications and expiry dates."""

    model = EngineerCertification
    extra = 0
    autocomplete_fields = ("certification",)


class SiteAccessInline(admin.TabularInline[SiteAccess, Engineer]):
    """An engineer's site access, inductions and clearances."""

    model = SiteAccess
    extra = 0
    autocomplete_fields = ("site",)


class AbsenceInline(admin.TabularInline[Absence, Engineer]):
    """An engineer's absences."""

    model = Absence
    extra = 0


@admin.register(Engineer)
class EngineerAdmin(TimelineAdminMixin, admin.ModelAdmin[Engineer]):
    """Engineers with everything that qualifies them for work."""

    list_display = ("name", "home_region", "base_location", "time_zone", "active")
    list_filter = ("home_region", "active", "skills__skill")
    search_fields = ("name", "email", "base_location")
    list_select_related = ("home_region",)
    raw_id_fields = ("user",)
    inlines = (EngineerSkillInline, EngineerCertificationInline, SiteAccessInline, AbsenceInline)


@admin.register(EngineerCertification)
class EngineerCertificationAdmin(TimelineAdminMixin, admin.ModelAdmin[EngineerCertification]):
    """Certifications held, by expiry date (find what expires soon)."""

    list_display = ("engineer", "certification", "obtained_on", "expires_on")
    list_filter = ("certification",)
    search_fields = ("engineer__name", "certification__name")
    list_select_related = ("engineer", "certification")
    date_hierarchy = "expires_on"
    autocomplete_fields = ("engineer", "certification")


@admin.register(SiteAccess)
class SiteAccessAdmin(TimelineAdminMixin, admin.ModelAdmin[SiteAccess]):
    """Access grants, inductions and clearances across sites."""

    list_display = ("engineer", "site", "kind", "granted_on", "expires_on")
    list_filter = ("kind", "site__region")
    search_fields = ("engineer__name", "site__code", "site__name")
    list_select_related = ("engineer", "site")
    autocomplete_fields = ("engineer", "site")


@admin.register(EngineerSkill)
class EngineerSkillAdmin(TimelineAdminMixin, admin.ModelAdmin[EngineerSkill]):
    """Skills held, by skill and level."""

    list_display = ("engineer", "skill", "level")
    list_filter = ("skill", "level")
    search_fields = ("engineer__name", "skill__name")
    list_select_related = ("engineer", "skill")
    autocomplete_fields = ("engineer", "skill")


@admin.register(Absence)
class AbsenceAdmin(TimelineAdminMixin, admin.ModelAdmin[Absence]):
    """Engineer absences."""

    list_display = ("engineer", "start_at", "end_at", "reason")
    search_fields = ("engineer__name", "reason")
    list_select_related = ("engineer",)
    date_hierarchy = "start_at"
    autocomplete_fields = ("engineer",)
