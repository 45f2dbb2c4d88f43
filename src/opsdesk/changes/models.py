"""Change requests and their approvals; the windows and freezes that govern when change may happen
live in the windows sub-package (same app label, `changes`) and are imported here so Django finds them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from .windows.models import ChangeWindow

__all__ = ["Approval", "ChangeRequest", "ChangeWindow"]


class ChangeRequest(models.Model):
    """A planned change to services and sites, with its plans, risk, approvals and review."""

    class Type(models.TextChoices):
        STANDARD = "standard", "Standard"
        NORMAL = "normal", "Normal"
        EMERGENCY = "emergency", "Emergency"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        ASSESSING = "assessing", "Assessing"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        IMPLEMENTING = "implementing", "Implementing"
        COMPLETED = "completed", "Completed"
        ROLLED_BACK = "rolled_back", "Rolled back"
        FAILED = "failed", "Failed"
        REVIEWED = "reviewed", "Reviewed"
        CLOSED = "closed", "Closed"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        SUCCESSFUL = "successful", "Successful"
        SUCCESSFUL_WITH_ISSUES = "successful_with_issues", "Successful with issues"
        ROLLED_BACK = "rolled_back", "Rolled back"
        FAILED = "failed", "Failed"

    type = models.CharField(max_length=20, choices=Type.choices, default=Type.NORMAL)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    services = models.ManyToManyField(Service, related_name="changes", blank=True)
    sites = models.ManyToManyField(Site, related_name="changes", blank=True)
    clients = models.ManyToManyField(
        Client, related_name="changes", blank=True,
        help_text="Derived: the clients of the affected services and sites (tenancy).",
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    implementation_plan = models.TextField(blank=True)
    verification_plan = models.TextField(blank=True)
    rollback_plan = models.JSONField(
        null=True, blank=True, help_text='{"steps": "...", "trigger": "...", "duration_minutes": 30}'
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_changes")
    implementers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="implementing_changes", blank=True)
    team = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    risk = models.JSONField(default=dict, blank=True, help_text="Computed: level, score, components.")
    risk_level = models.CharField(max_length=10, blank=True, db_index=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    caused_incident = models.BooleanField(default=False)
    lessons = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "clients"

    class Meta:
        ordering = ["-window_start", "-id"]
        indexes = [models.Index(fields=["window_start", "window_end"]), models.Index(fields=["state", "window_start"])]
        constraints = [
            models.CheckConstraint(name="change_window_ends_after_start", condition=models.Q(window_end__gt=models.F("window_start"))),
        ]

    def __str__(self) -> str:
        return f"CHG-{self.pk} {self.title}"


class Approval(models.Model):
    """One person's decision on a change, in the capacity the change's risk asks for."""

    class Capacity(models.TextChoices):
        PEER = "peer", "Peer"
        CHANGE_APPROVER = "change_approver", "Change approver"
        CLIENT = "client", "Client approver"
        EMERGENCY = "emergency", "Emergency (outside windows)"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_approvals")
    capacity = models.CharField(max_length=20, choices=Capacity.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField()

    tenant_path = "change__clients"

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "approver", "capacity"], name="one_decision_per_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.decision} CHG-{self.change_id} as {self.capacity}"
