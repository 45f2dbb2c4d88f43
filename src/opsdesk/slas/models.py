"""SLA policies: response, on-site and resolution targets per client, level and category."""

from __future__ import annotations

from django.db import models

from opsdesk.tenancy.models import Client


def default_pause_states() -> list[str]:
    """Work orders: only on hold stops the clock by default (see SlaPolicy.pause_states)."""
    return ["on_hold"]


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
