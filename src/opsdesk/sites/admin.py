"""Admin for regions, sites (with their requirements inline) and site requirements."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import Region, Site, SiteRequirement


@admin.register(Region)
class RegionAdmin(TimelineAdminMixin, admin.ModelAdmin[Region]):
    """Delivery regions."""

    list_display = ("code", "name", "travel_speed_kmh")
    search_fields = ("code", "name")


class SiteRequirementInline(admin.TabularInline[SiteRequirement, Site]):
    """A site's requirements, edited with the site."""

    model = SiteRequirement
    extra = 0
    fields = ("kind", "description", "lead_time_hours", "categories", "blocking", "permitted_hours")


@admin.register(Site)
class SiteAdmin(TimelineAdminMixin, admin.ModelAdmin[Site]):
    """Sites with their time zone, calendar, hours and requirements."""

    list_display = ("code", "name", "kind", "region", "time_zone", "holiday_country")
    list_filter = ("region", "kind", "clients", "holiday_country")
    search_fields = ("code", "name", "address")
    list_select_related = ("region",)
    filter_horizontal = ("clients",)
    inlines = (SiteRequirementInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "region", "clients")}),
        ("Location", {"fields": ("address", "latitude", "longitude")}),
        (
            "Time",
            {"fields": ("time_zone", "holiday_country", "holiday_subdivision", "business_hours")},
        ),
    )


@admin.register(SiteRequirement)
class SiteRequirementAdmin(TimelineAdminMixin, admin.ModelAdmin[SiteRequirement]):
    """All site requirements, searchable across sites."""

    list_display = ("site", "kind", "short_description", "lead_time_hours", "blocking")
    list_filter = ("kind", "blocking", "site__region")
    search_fields = ("description", "site__code", "site__name")
    list_select_related = ("site",)
    autocomplete_fields = ("site",)

    @admin.display(description="Description")
    def short_description(self, obj: SiteRequirement) -> str:
        """The first 80 characters of the description."""
        return obj.description[:80]
