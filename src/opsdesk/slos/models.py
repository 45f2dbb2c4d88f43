"""SLOs: objectives on a service's SLIs, their measurements (SLI buckets) and synthetic checks.

The tables keep the names they had in the slas app (slas_slo, ...): the models moved, the rows did not.
"""

from __future__ import annotations

from django.db import models


class Slo(models.Model):
    """A service level objective on one SLI of a service: availability or latency over a rolling window.

    Availability: good events are successful requests of the valid ones. Latency: good events are
    requests faster than `latency_threshold_ms` (e.g. objective 0.95 under 800 ms). Measurements
    arrive as SliBuckets through the API (authenticated by the SLI key, stored hashed) and from
    SyntheticChecks the worker runs.
    """

    class Kind(models.TextChoices):
        AVAILABILITY = "availability", "Availability"
        LATENCY = "latency", "Latency"

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    objective = models.FloatField(help_text="Share of valid events that must be good, e.g. 0.999.")
    window_days = models.PositiveSmallIntegerField(default=28, help_text="Rolling window of the objective.")
    latency_threshold_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Latency SLIs only.")
    key_prefix = models.CharField(max_length=12, blank=True, help_text="First characters of the SLI key.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the SLI key (shown once).")
    alerting = models.BooleanField(default=True, help_text="Send burn-rate alerts into the alert pipeline.")
    firing = models.JSONField(default=dict, blank=True, help_text="Burn-rate rules firing now: name -> since (ISO).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "service__client"

    class Meta:
        ordering = ["service__name", "name", "id"]
        db_table = "slas_slo"  # the table it had in the slas app (moved without copying rows)
        verbose_name = "SLO"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="slo_name_per_service"),
        ]

    def __str__(self) -> str:
        return self.name


class SliBucket(models.Model):
    """Good and valid events of one SLO in one time bucket [start_at, start_at + seconds).

    One row per (SLO, start): sending a bucket again replaces its counts (idempotent retries).
    """

    slo = models.ForeignKey(Slo, on_delete=models.CASCADE, related_name="buckets")
    start_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(default=60)
    good = models.PositiveBigIntegerField()
    valid = models.PositiveBigIntegerField()

    tenant_path = "slo__service__client"

    class Meta:
        db_table = "slas_slibucket"
        constraints = [
            models.UniqueConstraint(fields=["slo", "start_at"], name="sli_bucket_per_start"),
            models.CheckConstraint(condition=models.Q(good__lte=models.F("valid")), name="sli_good_within_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.slo_id} @ {self.start_at}: {self.good}/{self.valid}"


class SyntheticCheck(models.Model):
    """An HTTP check the worker runs on a schedule against a URL an administrator configured.

    Each run records status and timing (SyntheticResult) and counts one event into the linked
    SLOs' current bucket: good for availability when the status is below `fail_status_from`,
    good for latency when, in addition, it answered within the latency SLO's threshold.
    """

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="synthetic_checks")
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    fail_status_from = models.PositiveSmallIntegerField(default=400, help_text="Statuses from this one fail.")
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.FloatField(default=5.0)
    availability_slo = models.ForeignKey(Slo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    latency_slo = models.ForeignKey(Slo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "service__client"

    class Meta:
        db_table = "slas_syntheticcheck"
        ordering = ["service__name", "name", "id"]
        indexes = [models.Index(fields=["active", "next_run_at"], name="synthetic_check_due")]

    def __str__(self) -> str:
        return self.name


class SyntheticResult(models.Model):
    """One run of a synthetic check: when, the HTTP status (None: no answer), how long, and why it failed."""

    check_run = models.ForeignKey(SyntheticCheck, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField()
    ok = models.BooleanField()
    error = models.CharField(max_length=300, blank=True)

    tenant_path = "check_run__service__client"

    class Meta:
        db_table = "slas_syntheticresult"
        indexes = [models.Index(fields=["check_run", "at"], name="synthetic_result_at")]

    def __str__(self) -> str:
        return f"{self.check_run_id} @ {self.at}: {self.status_code}"
