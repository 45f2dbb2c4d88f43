"""Admin for the kernel tables, and the mixin that records admin edits on the timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from . import timeline
from .models import Activity, AuditEvent, Notification, PeriodicRun


class TimelineAdminMixin:
    """Record every admin create, update and delete (with before/after) on the object's timeline.

    Inline rows are recorded on their own object and summarised on the parent's timeline.
    """

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        """Save, then record "created" or "updated" with the changed fields."""
        before = _stored_snapshot(obj) if change else {}
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        changes = timeline.diff(before, timeline.snapshot(obj))
        if change and not changes:
            return
        verb = "updated" if change else "created"
        timeline.record(
            obj, verb, actor=request.user, changes=changes, summary=f"{verb.title()} in admin"
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        """Record "deleted" (with the last values), then delete."""
        timeline.record(
            obj,
            "deleted",
            actor=request.user,
            summary="Deleted in admin",
            changes=timeline.diff(timeline.snapshot(obj), {}),
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Bulk delete from the change list: one "deleted" entry per object."""
        for obj in queryset:
            timeline.record(obj, "deleted", actor=request.user, summary="Deleted in admin (bulk)")
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(
        self, request: HttpRequest, form: ModelForm[Any], formset: BaseInlineFormSet[Any, Any, Any], change: bool
    ) -> None:
        """Save inline rows, recording each change on the row and a summary on the parent."""
        befores = {
            f.instance.pk: _stored_snapshot(f.instance)
            for f in formset.forms
            if f.instance.pk and f.has_changed()
        }
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        parent = form.instance
        label = formset.model._meta.verbose_name  # type: ignore[union-attr]
        for obj in formset.new_objects:
            timeline.record(
                obj,
                "created",
                actor=request.user,
                changes=timeline.diff({}, timeline.snapshot(obj)),
            )
            timeline.record(parent, "updated", actor=request.user, summary=f"Added {label}: {obj}")
        for obj, _fields in formset.changed_objects:
            changes = timeline.diff(befores.get(obj.pk, {}), timeline.snapshot(obj))
            timeline.record(obj, "updated", actor=request.user, changes=changes)
            timeline.record(
                parent,
                "updated",
                actor=request.user,
                summary=f"Changed {label}: {obj}",
                changes=changes,
            )
        for obj in formset.deleted_objects:
            timeline.record(
                parent, "updated", actor=request.user, summary=f"Removed {label}: {obj}"
            )


def _stored_snapshot(obj: Model) -> dict[str, Any]:
    """The object's values as stored now (the form has already changed the instance)."""
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return timeline.snapshot(stored) if stored is not None else {}


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    """The timeline is append-only: readable here, never edited."""

    list_display = ("at", "actor_label", "verb", "content_type", "object_id", "visibility")
    list_filter = ("verb", "visibility", "content_type")
    search_fields = ("actor_label", "summary", "verb")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        """No hand-made entries."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Activity | None = None) -> bool:
        """Entries never change."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Activity | None = None) -> bool:
        """Entries are never removed."""
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """Inbox rows, for support."""

    list_display = ("created_at", "user", "title", "read_at", "emailed_at")
    list_filter = (
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "body", "user__username")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin[PeriodicRun]):
    """When each periodic job was last enqueued."""

    list_display = ("name", "last_enqueued_at")
    search_fields = ("name",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit log is append-only: readable here, never added to, edited or deleted."""

    list_display = ("at", "action", "actor_label", "address", "target")
    list_filter = ("action",)
    search_fields = ("actor_label", "target", "address")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        """No hand-made entries."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        """Events never change."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        """Events are never removed."""
        return False
