"""Change windows and freezes: when change is allowed or not, for a site, a region or a client.

A model of the `changes` app (its app label and table, changes_changewindow, are unchanged);
opsdesk.changes.models imports it so Django registers it with the app.
"""

from __future__ import annotations

from django.db import models

from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client


class ChangeWindow(models.Model):
    """When change is allowed (window) or not (freeze), for a site, a region or a client.

    Times are local: evaluated in each affected site's own time zone. A recurring rule is an
    RFC 5545 RRULE anchored at start_on + start_time; a one-off has no rule.
    """

    class Kind(models.TextChoices):
        WINDOW = "window", "Change window"
        FREEZE = "freeze", "Change freeze"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="change_windows")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="change_windows")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="change_windows")
    start_on = models.DateField(help_text="First (or only) day, site-local.")
    start_time = models.TimeField(help_text="Local start time of each occurrence.")
    duration_minutes = models.PositiveIntegerField()
    rrule = models.CharField(max_length=500, blank=True, help_text="e.g. FREQ=WEEKLY;BYDAY=SU")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                name="window_has_exactly_one_scope",
                condition=(
                    models.Q(site__isnull=False, region__isnull=True, client__isnull=True)
                    | models.Q(site__isnull=True, region__isnull=False, client__isnull=True)
                    | models.Q(site__isnull=True, region__isnull=True, client__isnull=False)
                ),
            ),
            models.CheckConstraint(name="window_has_duration", condition=models.Q(duration_minutes__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"
