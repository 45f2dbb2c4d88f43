"""Kernel tables: the timeline, the notification inbox, periodic job bookkeeping; the stored email
wording lives in the mailtemplates sub-package (same app label, `core`), imported here so Django finds it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .mailtemplates.models import MailTemplate

__all__ = [
    "Activity", "AuditEvent", "AuditImmutable", "AuditQuerySet", "MailTemplate", "Notification", "PeriodicRun",
    "ScheduleEntry", "ScheduleTarget",
]


class Activity(models.Model):
    """One append-only timeline entry: who did what to which object, when, before and after."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal"
        CLIENT = "client", "Client-visible"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    verb = models.CharField(max_length=40)
    summary = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"


class Notification(models.Model):
    """A message in one user's inbox; emailed by a background task when email is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "user__client"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return self.title


class PeriodicRun(models.Model):
    """When a periodic job was last enqueued, so several workers enqueue it once."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class ScheduleEntry(models.Model):
    """Something planned at a time on sites and services: a change window, an on-site visit.

    The kernel's read model of "what is planned where and when": collisions, "what changed"
    and calendars read it; the app that owns the object keeps its entry up to date.
    """

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        VISIT = "visit", "On-site visit"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    ref = models.CharField(max_length=60, unique=True, help_text="'<app>.<model>:<id>' of the owner")
    label = models.CharField(max_length=300)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    state = models.CharField(max_length=30, blank=True)
    maintenance = models.BooleanField(default=False, help_text="An approved change: alerts are annotated")
    client_ids = models.JSONField(default=list, blank=True)

    tenant_path = "__staff_only__"

    class Meta:
        indexes = [models.Index(fields=["start_at", "end_at"]), models.Index(fields=["end_at"])]
        constraints = [
            models.CheckConstraint(name="schedule_ends_after_start", condition=models.Q(end_at__gt=models.F("start_at"))),
        ]

    def __str__(self) -> str:
        return self.label


class ScheduleTarget(models.Model):
    """A site or service a schedule entry touches (plain ids: the kernel imports no domain app)."""

    class Kind(models.TextChoices):
        SITE = "site", "Site"
        SERVICE = "service", "Service"

    entry = models.ForeignKey(ScheduleEntry, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target_id = models.BigIntegerField()
    # Denormalised from the entry so the overlap query is one index range scan per target.
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "target_id", "start_at", "end_at"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.target_id}"


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    """Bulk update and delete refused too."""

    def update(self, **kwargs: object) -> int:
        raise AuditImmutable("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable("Audit events cannot be deleted.")


class AuditImmutable(Exception):
    """An attempt to change or delete an audit event."""



class AuditEvent(models.Model):
    """One append-only security-relevant event: who, from which address, when, what, before/after.

    Rows are only ever inserted (``core.audit.record_audit``): saving an existing row or deleting
    one raises, the admin is read-only, and on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
        db_constraint=False,  # the event outlives the user (never updated); the label keeps the name
    )
    actor_label = models.CharField(max_length=150, blank=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    target = models.CharField(max_length=200, blank=True, help_text="What it concerns: 'user:12', 'token:odk_ab12…'")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "at"]), models.Index(fields=["actor_label", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or 'anonymous'} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        """Insert only: an audit event is never changed."""
        if self.pk is not None and not self._state.adding:
            raise AuditImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        """Never: the audit log is append-only."""
        raise AuditImmutable("Audit events cannot be deleted.")
