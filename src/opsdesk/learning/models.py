"""The learning loop's tables: postmortems of incidents, their action items, and problems (recurring
failures). They keep the table names they had in the incidents app (incidents_problem, ...): the move
to this app changed the code's home, not the data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.incidents.models import Incident
from opsdesk.services.models import Service
from opsdesk.tenancy.models import Client


class Problem(models.Model):
    """A recurring failure: incidents with the same service and signature, with known error and workaround."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        OPEN = "open", "Open"
        KNOWN_ERROR = "known_error", "Known error"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    title = models.CharField(max_length=200)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="problems")
    signature = models.CharField(max_length=255, help_text="What the recurring incidents share (alert name, summary).")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    known_error = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    clients = models.ManyToManyField(Client, related_name="problems", blank=True, db_table="incidents_problem_clients")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "clients"

    class Meta:
        db_table = "incidents_problem"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "signature"], name="one_problem_per_signature")]

    def __str__(self) -> str:
        return self.title



class Postmortem(models.Model):
    """A blameless review of one incident: drafted from its timeline, then edited by people."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    response = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    was_hard = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "incident__clients"

    class Meta:
        db_table = "incidents_postmortem"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Postmortem of INC-{self.incident_id}"


class ActionItem(models.Model):
    """A postmortem action, owned and due, tracked to done."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = "postmortem__incident__clients"

    class Meta:
        db_table = "incidents_actionitem"
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["state", "due_on"], name="action_state_due")]

    def __str__(self) -> str:
        return self.title
