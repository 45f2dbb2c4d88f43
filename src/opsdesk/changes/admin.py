"""Admin for change requests (approvals inline) and approvals; windows and freezes: windows/admin.py.

Support tooling: state, risk and clients are derived by the services, so they are read-only here.
"""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import Approval, ChangeRequest
from .windows import admin as windows_admin  # noqa: F401  (registers ChangeWindowAdmin: Django looks in changes.admin)


class ApprovalInline(admin.TabularInline[Approval, ChangeRequest]):
    """A change's decisions, edited with the change."""

    model = Approval
    extra = 0
    fields = ("approver", "capacity", "decision", "comment", "decided_at")
    raw_id_fields = ("approver",)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(TimelineAdminMixin, admin.ModelAdmin[ChangeRequest]):
    """Change requests with their window, plans, risk and review."""

    list_display = ("__str__", "type", "state", "risk_level", "window_start", "window_end", "owner")
    list_filter = ("state", "type", "risk_level", "sites__region")
    search_fields = ("title", "description")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    filter_horizontal = ("services", "sites", "implementers")
    readonly_fields = ("state", "risk", "risk_level", "clients", "completed_at", "created_at", "updated_at")
    date_hierarchy = "window_start"
    inlines = (ApprovalInline,)
    fieldsets = (
        (None, {"fields": ("type", "title", "description", "owner", "team", "implementers")}),
        ("Scope", {"fields": ("services", "sites", "clients")}),
        ("Window (UTC)", {"fields": ("window_start", "window_end")}),
        ("Plans", {"fields": ("implementation_plan", "verification_plan", "rollback_plan")}),
        ("State and risk", {"fields": ("state", "risk_level", "risk", "completed_at")}),
        ("Review", {"fields": ("outcome", "caused_incident", "lessons")}),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(Approval)
class ApprovalAdmin(TimelineAdminMixin, admin.ModelAdmin[Approval]):
    """Every decision on every change."""

    list_display = ("change", "approver", "capacity", "decision", "decided_at")
    list_filter = ("capacity", "decision")
    search_fields = ("change__title", "approver__username", "comment")
    list_select_related = ("change", "approver")
    raw_id_fields = ("change", "approver")
    date_hierarchy = "decided_at"
