"""Tables of the oncall app: schedules, their layers and members, overrides, and gap warnings sent."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.tenancy import STAFF_ONLY
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client

from . import rules


def _valid_zone(value: str) -> None:
    try:
        rules.valid_zone(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class Schedule(models.Model):
    """Who is on call for a team, region or client contract, in one time zone, from layers and overrides."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=4000)
    time_zone = models.CharField(max_length=64, validators=[_valid_zone], help_text="IANA zone of handoffs.")
    team = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="The client contract this schedule covers (blank: internal).")
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Staff data: who is on call, and when, is not shown to client users even for their contract.
    tenant_path = STAFF_ONLY

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Layer(models.Model):
    """A rotation of people with a handoff time and optional restrictions; higher levels win."""

    class Rotation(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        CUSTOM = "custom", "Custom (shift hours)"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    level = models.IntegerField(default=0, help_text="Higher levels win where they cover.")
    rotation = models.CharField(max_length=10, choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_hours = models.FloatField(null=True, blank=True, help_text="Custom rotations: wall-clock hours per shift.")
    handoff = models.TimeField(help_text="Local wall-clock time in the schedule's zone.")
    start_on = models.DateField(help_text="The first shift starts at the handoff on this day.")
    restrictions = models.JSONField(default=list, blank=True)

    tenant_path = STAFF_ONLY

    class Meta:
        ordering = ["schedule", "-level", "id"]

    def __str__(self) -> str:
        return self.name


class LayerMember(models.Model):
    """A person's place in a layer's rotation."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    tenant_path = STAFF_ONLY

    class Meta:
        ordering = ["layer", "position"]
        constraints = [models.UniqueConstraint(fields=["layer", "position"], name="oncall_member_position")]


class Override(models.Model):
    """Someone covers from start to end, for one person or (covers_for blank) for whoever is on call."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    covers_for = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = STAFF_ONLY

    class Meta:
        ordering = ["schedule", "start_at", "id"]
        indexes = [models.Index(fields=["schedule", "end_at"], name="oncall_override_end")]


class GapWarning(models.Model):
    """A gap of a schedule whose members were warned (so each gap is warned once)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    warned_at = models.DateTimeField()

    tenant_path = STAFF_ONLY

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "start_at"], name="oncall_gap_warned_once")]
