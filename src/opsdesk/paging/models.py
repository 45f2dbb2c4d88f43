"""Tables of the paging app: escalation policies and steps, people's contact methods and
notification rules, and the escalation of each incident with the pages it decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.alerts.models import Integration
from opsdesk.channels.models import Endpoint
from opsdesk.incidents.models import Incident
from opsdesk.oncall.models import Schedule
from opsdesk.services.models import Service
from opsdesk.tenancy.models import Client


def default_severity_rules() -> dict[str, str]:
    """SEV1/2 page at once, SEV3 notifies in the site's business hours, SEV4 only opens the ticket."""
    return {"sev1": "page", "sev2": "page", "sev3": "business_hours", "sev4": "ticket"}


class EscalationPolicy(models.Model):
    """Ordered steps that page people until someone acknowledges, repeated `repeat` more times."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    repeat = models.PositiveSmallIntegerField(default=0, help_text="How many more times the steps run if nobody acknowledges.")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    integrations = models.ManyToManyField(Integration, blank=True, related_name="+")
    is_default = models.BooleanField(default=False)
    severity_rules = models.JSONField(default=default_severity_rules)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One step of a policy: whom to page, and how long to wait before the next step."""

    class Target(models.TextChoices):
        SCHEDULE = "schedule", "On-call of a schedule"
        PERSON = "person", "A person"
        TEAM = "team", "A team"
        ROLES = "roles", "The incident's role holders"

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target_kind = models.CharField(max_length=10, choices=Target.choices)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="Target schedule: its on-call at the step's instant.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="Target person.")
    team = models.CharField(max_length=150, blank=True,
                            help_text="Target team: the on-call of its schedules, else the auth group of that name.")
    roles = models.JSONField(default=list, blank=True)
    wait_minutes = models.FloatField(default=15)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["policy", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="paging_step_position")]

    def __str__(self) -> str:
        return f"{self.policy} #{self.position}"

    @property
    def target_ref(self) -> int | None:
        """The id the API calls `ref`: the schedule's or the person's."""
        return self.schedule_id if self.target_kind == self.Target.SCHEDULE else self.person_id


class ContactMethod(models.Model):
    """How a person can be reached: an email address, a chat or webhook endpoint of channels."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        CHAT = "chat", "Chat"
        WEBHOOK = "webhook", "Webhook"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    address = models.EmailField(blank=True, help_text="Email: blank means the user's email.")
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="An internal channels endpoint (chat, webhook).")
    label = models.CharField(max_length=100, blank=True)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["person", "id"]

    def __str__(self) -> str:
        return self.label or f"{self.kind} {self.address}".strip()


class NotificationRule(models.Model):
    """Use this contact method `delay_minutes` after a page of this urgency starts."""

    class Urgency(models.TextChoices):
        HIGH = "high", "High"
        LOW = "low", "Low"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_rules")
    urgency = models.CharField(max_length=4, choices=Urgency.choices)
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="rules")
    delay_minutes = models.FloatField(default=0)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["person", "urgency", "delay_minutes", "id"]

    def __str__(self) -> str:
        return f"{self.urgency}: {self.contact_method} after {self.delay_minutes} min"


class PagingProfile(models.Model):
    """A person's time zone and quiet hours (honoured for low urgency only)."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paging_profile")
    time_zone = models.CharField(max_length=64, default="UTC")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)

    tenant_path = "__staff_only__"

    def __str__(self) -> str:
        return f"{self.person} ({self.time_zone})"


class Escalation(models.Model):
    """The run of one policy for one incident: where it is, and when its next step is due.

    An incident has one run per time it opened: a reopened incident (resolved → investigating)
    starts run 2, and so on; the latest run is the incident's escalation."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"
        EXHAUSTED = "exhausted", "Exhausted"
        TICKET = "ticket", "Ticket only"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    run = models.PositiveSmallIntegerField(default=1, help_text="1 for the first opening, 2 after a reopen, ...")
    policy = models.ForeignKey(EscalationPolicy, null=True, on_delete=models.SET_NULL, related_name="escalations")
    urgency = models.CharField(max_length=4, choices=NotificationRule.Urgency.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    step_index = models.PositiveSmallIntegerField(default=0, help_text="The next step to run (0-based).")
    cycle = models.PositiveSmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    tenant_path = "incident__clients"

    class Meta:
        indexes = [models.Index(fields=["state", "next_due_at"], name="paging_escalation_due")]
        constraints = [models.UniqueConstraint(fields=["incident", "run"], name="paging_escalation_run")]

    def __str__(self) -> str:
        return f"Escalation of INC-{self.incident_id}"


class Page(models.Model):
    """One notification decided by a step: a person, a contact method, when; sent exactly once."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveSmallIntegerField(help_text="The step's position.")
    cycle = models.PositiveSmallIntegerField(default=0)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_method = models.ForeignKey(ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(NotificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=ContactMethod.Kind.choices, default=ContactMethod.Kind.EMAIL)
    address = models.CharField(max_length=254, blank=True)
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=120, unique=True)
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)

    tenant_path = "escalation__incident__clients"

    class Meta:
        ordering = ["escalation", "cycle", "position", "due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"], name="paging_page_due")]

    def __str__(self) -> str:
        return self.idempotency_key


class ActionToken(models.Model):
    """A one-click action link, stored by the hash of its token so it works once."""

    token_hash = models.CharField(max_length=64, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=12)
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "__staff_only__"

    def __str__(self) -> str:
        return f"{self.action} INC-{self.incident_id} for {self.person_id}"
