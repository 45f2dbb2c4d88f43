"""Admin for change windows and freezes (registered when opsdesk.changes.admin imports this)."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import ChangeWindow


@admin.register(ChangeWindow)
class ChangeWindowAdmin(TimelineAdminMixin, admin.ModelAdmin[ChangeWindow]):
    """Change windows and freezes for a site, a region or a client (local times, RFC 5545 rules)."""

    list_display = ("name", "kind", "site", "region", "client", "start_on", "start_time", "duration_minutes", "rrule")
    list_filter = ("kind", "region", "client")
    search_fields = ("name", "rrule", "site__code")
    list_select_related = ("site", "region", "client")
    autocomplete_fields = ("site",)
    fieldsets = (
        (None, {"fields": ("kind", "name")}),
        ("Applies to (exactly one)", {"fields": ("site", "region", "client")}),
        ("When (site-local)", {"fields": ("start_on", "start_time", "duration_minutes", "rrule")}),
    )
