"""Dispatch plans: a region's day as routes of stops, with what was left out and the checker's verdict."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.people.models import Engineer
from opsdesk.sites.models import Region
from opsdesk.workorders.models import WorkOrder


class Plan(models.Model):
    """A proposed or accepted plan of one region's day; accepting schedules, dispatches and hands over the work."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        SUPERSEDED = "superseded", "Superseded"

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="plans")
    day = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    solver = models.CharField(max_length=20, blank=True)
    solve_seconds = models.FloatField(default=0)
    origin_at = models.DateTimeField(help_text="The time base the solver counted seconds from.")
    engineers = models.JSONField(default=list, help_text="Each engineer's day: id, name, departure, back, return travel.")
    unassigned = models.JSONField(default=list, help_text="[{work_order, reason}]")
    violations = models.JSONField(default=list, help_text="The checker's verdict: empty when sound.")
    moved = models.JSONField(default=list, help_text="What a re-plan moved from the plan it is based on.")
    travel_minutes = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["region", "day", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "day"], condition=models.Q(state="accepted"), name="dispatch_one_accepted_plan_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} {self.region_id} {self.day}"


class PlanStop(models.Model):
    """One visit of a plan: which engineer, in which order, arriving, starting and finishing when."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="stops")
    engineer = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="plan_stops")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="plan_stops")
    position = models.PositiveIntegerField()
    arrival_at = models.DateTimeField()
    start_at = models.DateTimeField()
    finish_at = models.DateTimeField()
    travel_seconds = models.PositiveIntegerField(default=0, help_text="From the previous place (home or the last stop).")
    fixed = models.BooleanField(default=False, help_text="Dispatched or in progress when planned: kept as it was.")

    class Meta:
        ordering = ["plan", "engineer", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "work_order"], name="dispatch_stop_once_per_plan")]
        indexes = [models.Index(fields=["engineer", "start_at"])]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} WO-{self.work_order_id} {self.start_at:%H:%M}"
