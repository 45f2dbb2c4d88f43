"""Heartbeats (a dead-man's switch): a sender expected to ping every so often, or an alert fires."""

from __future__ import annotations

from django.db import models

from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from ..models import Alert, Integration


class Heartbeat(models.Model):
    """A ping expected from a monitoring job every `interval_minutes` (plus `grace_minutes`), with
    the integration's key. A missed one raises an alert through the normal pipeline (alerts.heartbeats.services).

    `due_at` and `down_at` are precomputed from the last ping (the check reads them by index);
    until the first ping the heartbeat is new and never alerts.
    """

    class State(models.TextChoices):
        NEW = "new", "New (no ping yet)"
        UP = "up", "Up"
        LATE = "late", "Late (in grace)"
        DOWN = "down", "Down (alert raised)"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="heartbeats")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, help_text="In the ping URL: /api/v1/heartbeats/<slug>/ping.")
    interval_minutes = models.PositiveIntegerField(default=5, help_text="A ping is expected at least this often.")
    grace_minutes = models.PositiveIntegerField(default=5, help_text="How late a ping may be before the alert.")
    severity = models.CharField(max_length=10, choices=Alert.Severity.choices, default=Alert.Severity.CRITICAL)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="Service of the alert (blank: the integration's mapping rules, its default).")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    labels = models.JSONField(default=dict, blank=True, help_text="Labels of the alert (with heartbeat=<slug>).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    pings = models.PositiveBigIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Next ping expected by (last ping + interval).")
    down_at = models.DateTimeField(null=True, blank=True, help_text="The alert fires at (due + grace).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "__staff_only__"  # configuration of monitoring: client users never see it

    class Meta:
        ordering = ["integration", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["integration", "slug"], name="heartbeat_slug_per_integration")]
        indexes = [models.Index(fields=["state", "due_at"], name="heartbeat_state_due")]

    def __str__(self) -> str:
        return self.name
