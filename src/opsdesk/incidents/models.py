"""Incidents with their roles, correlated alerts and audience updates (postmortems and problems: opsdesk.learning)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.alerts.models import Alert, Integration
from opsdesk.changes.models import ChangeRequest
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client


class Severity(models.TextChoices):
    """SEV1 (most severe) to SEV4."""

    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class Incident(models.Model):
    """An unplanned interruption or degradation, handled by one owner with named roles."""

    class State(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    state = models.CharField(max_length=20, choices=State.choices, default=State.TRIGGERED, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_incidents")
    services = models.ManyToManyField(Service, related_name="incidents", blank=True)
    sites = models.ManyToManyField(Site, related_name="incidents", blank=True)
    clients = models.ManyToManyField(
        Client, related_name="incidents", blank=True, help_text="Derived: clients of the impacted services and sites."
    )
    impact = models.JSONField(default=dict, blank=True, help_text="Computed: services, downstream, clients, sites.")
    what_changed = models.JSONField(
        default=list, blank=True, help_text="Computed with the impact: ranked changes, visits and events before the start."
    )
    signature = models.CharField(max_length=255, blank=True, help_text="The first alert's name or summary (problems).")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The integration whose alert opened it (correlation by alert name, storms).",
    )
    change = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents",
        help_text="The change that caused it, once linked.",
    )
    # learning.Problem, named by string: incidents never imports learning (the column stays here).
    problem = models.ForeignKey(
        "learning.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    started_at = models.DateTimeField(help_text="When the failure began (the first alert's start).")
    detected_at = models.DateTimeField(help_text="When opsdesk knew (the first alert received, or declared).")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True, help_text="Entered monitoring: impact stopped.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    update_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "clients"

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-detected_at"], name="incident_state_detected"),
            models.Index(fields=["state", "resolved_at"], name="incident_state_resolved"),  # reopen candidates
        ]

    def __str__(self) -> str:
        return f"INC-{self.pk} {self.title}"


class IncidentRole(models.Model):
    """Who holds a role on an incident now; a change of holder is a handoff the receiver acknowledges."""

    class Role(models.TextChoices):
        COMMANDER = "commander", "Incident commander"
        COMMUNICATIONS = "communications", "Communications lead"
        OPERATIONS = "operations", "Operations lead / scribe"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()
    note = models.TextField(blank=True, help_text="Handoff summary: where things stand, what is next.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "incident__clients"

    class Meta:
        ordering = ["incident", "role"]
        constraints = [models.UniqueConstraint(fields=["incident", "role"], name="one_holder_per_role")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class IncidentAlert(models.Model):
    """An alert correlated into an incident, and why (every correlation decision records its reason)."""

    class Relation(models.TextChoices):
        TRIGGER = "trigger", "Opened the incident"
        SAME_SERVICE = "same_service", "Same service"
        SAME_SITE = "same_site", "Same site"
        SAME_SIGNATURE = "same_signature", "Same alert from the same integration"
        UPSTREAM = "upstream", "Symptom of an upstream failure"
        STORM = "storm", "Alert storm"
        REOPENED = "reopened", "Came back: reopened the incident"
        MANUAL = "manual", "Linked by hand"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_links")
    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="incident_link")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    reason = models.CharField(max_length=500)
    linked_at = models.DateTimeField()

    tenant_path = "incident__clients"

    class Meta:
        ordering = ["linked_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} -> INC-{self.incident_id} ({self.relation})"


class Audience(models.TextChoices):
    """Who a status update speaks to."""

    RESPONDERS = "responders", "Responders (technical)"
    CLIENTS = "clients", "Client stakeholders"
    END_USERS = "end_users", "End users"


class IncidentUpdate(models.Model):
    """A status update for one audience. Client and end-user updates show in the client portal."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    audience = models.CharField(max_length=20, choices=Audience.choices)
    body = models.TextField()
    # Plain-language answers for end users: can I carry on, what should I do, when is the next update.
    can_do = models.TextField(blank=True)
    cannot_do = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    next_update_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField()

    tenant_path = "incident__clients"

    class Meta:
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.audience} update on INC-{self.incident_id}"


class UpdateTemplate(models.Model):
    """A starting text for an audience's update (variation is data: per audience, optionally per severity)."""

    name = models.CharField(max_length=100)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    severity = models.CharField(max_length=4, choices=Severity.choices, blank=True, help_text="Blank: any severity.")
    body = models.TextField(help_text="May use {title}, {services}, {state}, {next_update}.")
    can_do = models.TextField(blank=True)
    cannot_do = models.TextField(blank=True)
    workaround = models.TextField(blank=True)

    tenant_path = "__public__"

    class Meta:
        ordering = ["audience", "severity", "name"]

    def __str__(self) -> str:
        return self.name
