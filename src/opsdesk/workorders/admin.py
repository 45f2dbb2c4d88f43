"""Admin for work orders (parts, arrangements, overrides, handoffs and comments inline) and for the
per-category rules kept as data (information fields, policies).

Support tooling: state and readiness are maintained by the services, so they are read-only here.
"""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import (
    Arrangement,
    CategoryField,
    CategoryPolicy,
    Comment,
    Handoff,
    Override,
    Part,
    WorkOrder,
)


class PartInline(admin.TabularInline[Part, WorkOrder]):
    """Parts the work needs and their shipment."""

    model = Part
    extra = 0
    fields = ("part_number", "description", "quantity", "shipment", "expected_at", "delivered_at")


class ArrangementInline(admin.TabularInline[Arrangement, WorkOrder]):
    """What was arranged for each site requirement."""

    model = Arrangement
    extra = 0
    fields = ("requirement", "state", "submitted_at", "approved_at", "reference", "note")
    raw_id_fields = ("requirement",)


class OverrideInline(admin.TabularInline[Override, WorkOrder]):
    """Dispatchers' recorded decisions to proceed despite a blocker."""

    model = Override
    extra = 0
    fields = ("blocker", "reason", "by", "at")
    raw_id_fields = ("by",)


class HandoffInline(admin.StackedInline[Handoff, WorkOrder]):
    """Changes of owner or team, with their summary and acknowledgement."""

    model = Handoff
    extra = 0
    fields = (
        ("from_user", "to_user"), ("from_team", "to_team"), "done_so_far", "next_step", "open_questions",
        "links", ("created_at", "acknowledged_at"), ("escalation_level", "escalated_at"),
    )
    raw_id_fields = ("from_user", "to_user")


class CommentInline(admin.TabularInline[Comment, WorkOrder]):
    """Internal and client-visible comments."""

    model = Comment
    extra = 0
    fields = ("created_at", "author", "visibility", "body")
    raw_id_fields = ("author",)


@admin.register(WorkOrder)
class WorkOrderAdmin(TimelineAdminMixin, admin.ModelAdmin[WorkOrder]):
    """Work orders with everything that surrounds them."""

    list_display = (
        "__str__", "client", "site", "category", "state", "priority", "owner", "blocked", "at_risk", "window_start",
    )
    list_filter = ("state", "priority", "category", "blocked", "at_risk", "site__region")
    search_fields = ("title", "description", "=id")
    list_select_related = ("client", "site", "owner")
    raw_id_fields = ("owner", "engineer", "rework_of", "change", "client", "site")
    filter_horizontal = ("services", "required_skills", "required_certifications")
    readonly_fields = (
        "state", "blocked", "at_risk", "next_needed_by", "readiness", "checked_in_at", "checked_out_at",
        "completed_at", "created_at", "updated_at",
    )
    date_hierarchy = "window_start"
    inlines = (PartInline, ArrangementInline, OverrideInline, HandoffInline, CommentInline)
    fieldsets = (
        (None, {"fields": ("client", "site", "category", "title", "description", "priority", "info")}),
        ("Window (UTC) and effort", {"fields": ("window_start", "window_end", "estimated_minutes")}),
        ("Scope", {"fields": ("services", "required_skills", "required_certifications", "change", "rework_of")}),
        ("Ownership", {"fields": ("owner", "team", "engineer")}),
        ("State and readiness", {"fields": ("state", "blocked", "at_risk", "next_needed_by", "readiness")}),
        ("On site", {"fields": ("checked_in_at", "checked_out_at", "checklist", "completion_report",
                                "first_time_fix", "completed_at")}),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(CategoryField)
class CategoryFieldAdmin(TimelineAdminMixin, admin.ModelAdmin[CategoryField]):
    """Information each category of work needs before it can be ready (completeness rules)."""

    list_display = ("category", "key", "label", "owner")
    list_filter = ("category", "owner")
    search_fields = ("key", "label")


@admin.register(CategoryPolicy)
class CategoryPolicyAdmin(TimelineAdminMixin, admin.ModelAdmin[CategoryPolicy]):
    """Per-category policy: approved change required, completion checklist, check-in tolerance and radius."""

    list_display = (
        "category", "requires_change", "checklist_items", "check_in_early_minutes", "check_in_late_minutes",
        "check_in_radius_m",
    )
    list_filter = ("requires_change",)

    @admin.display(description="Checklist items")
    def checklist_items(self, obj: CategoryPolicy) -> int:
        """How many items the completion checklist has."""
        return len(obj.checklist or [])
