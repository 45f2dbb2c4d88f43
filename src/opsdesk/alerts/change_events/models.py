"""Change events: deploys and configuration pushes a tool reported (PagerDuty Change Events, or
opsdesk's generic JSON form), as accepted by the intake and mapped to a service and a site."""

from __future__ import annotations

from django.db import models

from opsdesk.changes.models import ChangeRequest
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client


class ChangeEvent(models.Model):
    """One change a tool reported through an integration; recorded as an implemented standard change.

    `digest` is the SHA-256 of the event as sent (routing key left out), unique per integration:
    a sender's retry of the same event is recognised and not stored twice.
    """

    integration = models.ForeignKey("alerts.Integration", on_delete=models.CASCADE, related_name="change_events")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="change_events")
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    happened_at = models.DateTimeField(help_text="payload.timestamp, or when it was received when not given.")
    received_at = models.DateTimeField()
    custom_details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True, help_text="[{href, text}] as sent.")
    labels = models.JSONField(default=dict, blank=True, help_text="What the mapping rules read: source and custom_details.")
    digest = models.CharField(max_length=64)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_events")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_events")
    change = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_events",
        help_text="The implemented standard change it was recorded as (in the change calendar, in what changed).",
    )

    tenant_path = "client"

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["integration", "-received_at"], name="change_event_integration")]
        constraints = [
            models.UniqueConstraint(fields=["integration", "digest"], name="one_change_event_per_digest"),
        ]

    def __str__(self) -> str:
        return self.summary
