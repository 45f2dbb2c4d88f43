"""Integrations (where alerts come from), the raw events they send, and the alerts made of them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from opsdesk.changes.models import ChangeRequest
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client


class Integration(models.Model):
    """A monitoring source sending to opsdesk with its own secret key, for one client.

    Only the key's SHA-256 is stored (`key_hash`); the key is shown once when made or rotated.
    Grafana's optional HMAC signature uses a signing secret derived from the server's secret key
    and `signing_salt` (alerts.keys), so the database alone does not reveal it either.
    """

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        EVENTS_V2 = "events_v2", "PagerDuty Events API v2"
        GRAFANA = "grafana", "Grafana alerting"
        GENERIC = "generic", "Generic JSON"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="integrations")
    key_prefix = models.CharField(max_length=12, help_text="First characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    default_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Service for alerts no mapping rule places.",
    )
    default_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who owns the incidents this integration's alerts open (blank: the first incident commander).",
    )
    signature_header = models.CharField(
        max_length=100, blank=True, help_text="Grafana: header carrying the HMAC-SHA256 signature (blank: not signed)."
    )
    timestamp_header = models.CharField(
        max_length=100, blank=True, help_text="Grafana: header carrying the signed timestamp (blank: body only)."
    )
    signing_salt = models.CharField(max_length=32, blank=True)
    flap_threshold = models.PositiveSmallIntegerField(
        default=4, help_text="State changes within the flap window that mark an alert as flapping."
    )
    flap_window_minutes = models.PositiveSmallIntegerField(default=30)
    group_window_minutes = models.PositiveSmallIntegerField(
        default=60, help_text="Alerts join an open incident on the same site, or for the same alert, opened this recently."
    )
    reopen_window_minutes = models.PositiveSmallIntegerField(
        default=60, help_text="An alert on the service of an incident resolved this recently reopens it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "client"

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MappingRule(models.Model):
    """Label-to-service or label-to-site mapping: `service="epr"` -> EPR, `instance=~"dc2-.*"` -> DC2.

    Rules are tried in `position` order; the first matching rule of each target kind wins.
    """

    class Operator(models.TextChoices):
        EQUAL = "=", "equals"
        NOT_EQUAL = "!=", "does not equal"
        MATCH = "=~", "matches (regex)"
        NOT_MATCH = "!~", "does not match (regex)"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=100)
    operator = models.CharField(max_length=2, choices=Operator.choices, default=Operator.EQUAL)
    value = models.CharField(max_length=300)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    tenant_path = "integration__client"

    class Meta:
        ordering = ["integration", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="mapping_rule_has_one_target",
                condition=(
                    models.Q(service__isnull=False, site__isnull=True) | models.Q(service__isnull=True, site__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f'{self.label}{self.operator}"{self.value}"'


class RawEvent(models.Model):
    """What a sender delivered, as accepted: normalised signals in one row per delivery.

    Written by the intake (alerts.intake.storage) before it answers 2xx, so an acknowledged event is never
    lost; the worker (alerts.processing) turns rows into alerts and marks them processed.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()
    signals = models.JSONField(help_text="The delivery's signals, normalised by alerts.formats.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the delivery body, to recognise re-deliveries.")
    size = models.PositiveIntegerField(default=0, help_text="How many signals: processing takes a bounded number at a time.")
    processed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "integration__client"

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="raw_event_pending", condition=models.Q(processed_at__isnull=True)),
            models.Index(fields=["integration", "digest", "received_at"], name="raw_event_digest"),
        ]

    def __str__(self) -> str:
        return f"event {self.pk} from integration {self.integration_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.size = len(self.signals or ())
        super().save(*args, **kwargs)


class Alert(models.Model):
    """One alert: a fingerprint (Alertmanager, Grafana) or dedup key (Events API) of one integration,
    from first trigger to resolve. Repeats update it and count; a trigger after the resolve opens a new one."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"
        INFO = "info", "Info"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="alerts")
    key = models.CharField(max_length=255, help_text="Fingerprint or dedup_key, unique per integration while open.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FIRING)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.ERROR)
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="custom_details, links, images, URLs.")
    content_hash = models.CharField(max_length=32, blank=True, help_text="Of the content above: a repeat with the same only counts.")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    started_at = models.DateTimeField(help_text="When the sender says it started (startsAt, timestamp).")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    state_changes = models.JSONField(default=list, blank=True, help_text="Recent firing/resolved instants (flapping).")
    flapping = models.BooleanField(default=False)
    maintenance_change = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts_in_maintenance",
        help_text="The approved change whose maintenance period this alert fell in: it does not page.",
    )
    # The incident it belongs to: a plain id (incidents is a higher app; it sets this through
    # alerts.services.link_incident).
    incident_id = models.BigIntegerField(null=True, blank=True)

    tenant_path = "client"

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-last_seen_at"], name="alert_status_seen"),
            models.Index(fields=["service", "status"], name="alert_service_status"),
            # Processing looks alerts up by key thousands at a time: open ones (all it reads of them is
            # in the index) and recent opens (flapping).
            models.Index(fields=["integration", "key", "status", "content_hash"], name="alert_integration_key"),
            # An incident's alerts, and whether any is still open (every batch with resolves asks).
            models.Index(fields=["incident_id", "status"], name="alert_incident_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key"], condition=~models.Q(status="resolved"), name="one_open_alert_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.summary


from .change_events.models import ChangeEvent  # noqa: E402  (its own sub-package; registered with the app here)
from .heartbeats.models import Heartbeat  # noqa: E402  (its own sub-package; registered with the app here)

__all__ = ["Alert", "ChangeEvent", "Heartbeat", "Integration", "MappingRule", "RawEvent"]
