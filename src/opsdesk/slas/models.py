"""SLA policies: response, on-site and resolution targets per client, level and category."""

from __future__ import annotations

from django.db import models

from opsdesk.tenancy.models import Client


def default_pause_states() -> list[str]:
    """Work orders: only on hold stops the clock by default (see SlaPolicy.pause_states)."""
    return ["on_hold"]


def default_pause_on() -> dict[str, list[str]]:
    """Work orders: the client's and third parties' readiness blockers hold the resolution clock."""
    return {"blockers": ["client", "third_party"]}


class SlaPolicy(models.Model):
    """Targets for one kind of object (work orders or incidents) at one level (priority or severity).

    A policy without a client is the default for every client; a blank category matches any
    category. The most specific active policy wins (see slas.rules.choose_policy).
    """

    class AppliesTo(models.TextChoices):
        WORK_ORDER = "work_order", "Work orders"
        INCIDENT = "incident", "Incidents"

    name = models.CharField(max_length=200)
    applies_to = models.CharField(max_length=20, choices=AppliesTo.choices)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies",
        help_text="Blank: the default for every client.",
    )
    level = models.CharField(max_length=4, help_text="Work orders: priority p1..p4; incidents: severity sev1..sev4.")
    category = models.CharField(max_length=20, blank=True, help_text="Work orders only; blank: any category.")
    response_minutes = models.PositiveIntegerField()
    onsite_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Work orders only.")
    resolution_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True, help_text="Count the site's business hours; off: 24x7.")
    pause_states = models.JSONField(default=default_pause_states, blank=True)
    pause_on = models.JSONField(
        default=default_pause_on, blank=True,
        help_text='Whose open readiness blockers hold the resolution clock: {"blockers": ["client", "third_party"]}.',
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Read access is handled in slas.queries: client users also see the defaults (client null).
    tenant_path = "client"

    class Meta:
        ordering = ["applies_to", "level", "client_id", "category", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        indexes = [models.Index(fields=["applies_to", "level", "active"])]

    def __str__(self) -> str:
        return self.name


class SlaClockState(models.Model):
    """The last computed clock of one target of one object, for lists, notices and attainment.

    Derived data: slas.recompute writes it from the state history on every transition and the
    worker refreshes running clocks; deleting every row and recomputing gives the same table.
    """

    kind = models.CharField(max_length=20, choices=SlaPolicy.AppliesTo.choices)
    object_id = models.PositiveBigIntegerField()
    target = models.CharField(max_length=12)  # response, onsite, resolution
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey(Client, null=True, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("sites.Site", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12)  # running, at_risk, paused, met, breached, cancelled, not_started
    target_minutes = models.PositiveIntegerField()
    elapsed_minutes = models.FloatField(default=0.0)
    paused_minutes = models.FloatField(default=0.0, help_text="Business minutes the pauses held it (raw: elapsed + paused).")
    due_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the target was met or breached (the stop, or the due instant)."
    )
    next_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When time alone changes the status next (at risk, then breached)."
    )
    computed_at = models.DateTimeField()
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    breach_escalated_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "client"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "target"], name="sla_state_per_target"),
        ]
        indexes = [
            models.Index(fields=["next_check_at"], name="sla_state_next_check"),
            models.Index(fields=["kind", "settled_at"], name="sla_state_settled"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.target}: {self.status}"


class SlaHistory(models.Model):
    """An object's state history as its SLA clocks read it: "epoch state" entries in time order.

    Derived from the timeline (slas.queries.state_histories) and rewritten with the stored clocks
    on every change, so that recomputing a million objects' clocks reads one short row each
    instead of every timeline entry (slas.bulk). `opsdesk sla recompute --from-timeline` rebuilds
    it from the timeline (after an import or a direct edit of the timeline).
    """

    kind = models.CharField(max_length=20, choices=SlaPolicy.AppliesTo.choices)
    object_id = models.PositiveBigIntegerField()
    entries = models.TextField(blank=True, help_text='[[1779264000.0, "submitted"], [1779265800.0, "triage"], ...]')
    clocks = models.TextField(
        blank=True, help_text="The stored clock rows as slas.bulk last wrote them (blank: unknown), to compare at once."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="sla_history_per_object")]
        verbose_name_plural = "SLA histories"

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
