"""Work orders and what surrounds them: parts, arrangements with site rules, handoffs, comments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models

from opsdesk.changes.models import ChangeRequest
from opsdesk.people.models import Certification, Engineer, Skill
from opsdesk.services.models import Service
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.tenancy.models import Client

CATEGORIES = [
    ("install", "Install"),
    ("decommission", "Decommission"),
    ("remote_hands", "Remote hands"),
    ("break_fix", "Break-fix"),
    ("cabling", "Cabling"),
    ("patching", "Patching"),
    ("audit", "Audit"),
    ("survey", "Survey"),
]


# Where undated work sorts in the queue: after every dated one (see WorkOrder.queue_at).
QUEUE_LAST = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
# States the service desk's working queue leaves out (see WorkOrder.finished).
FINISHED_STATES = frozenset({"verified", "closed", "cancelled"})


class WorkOrder(models.Model):
    """A piece of work at one site for one client, with exactly one accountable owner."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        TRIAGE = "triage", "Triage"
        READINESS = "readiness", "Readiness"
        READY = "ready", "Ready"
        SCHEDULED = "scheduled", "Scheduled"
        DISPATCHED = "dispatched", "Dispatched"
        EN_ROUTE = "en_route", "En route"
        ON_SITE = "on_site", "On site"
        COMPLETED = "completed", "Completed"
        VERIFIED = "verified", "Verified"
        CLOSED = "closed", "Closed"
        ON_HOLD = "on_hold", "On hold"
        BLOCKED = "blocked", "Blocked"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        P1 = "p1", "P1 critical"
        P2 = "p2", "P2 high"
        P3 = "p3", "P3 normal"
        P4 = "p4", "P4 low"

    # client, site and owner: no index of their own; (client|site|owner, state) below starts with them.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="work_orders", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="work_orders", db_index=False)
    services = models.ManyToManyField(Service, related_name="work_orders", blank=True)
    category = models.CharField(max_length=20, choices=CATEGORIES)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    info = models.JSONField(default=dict, blank=True, help_text="Category information: rack location, contact, ...")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # The window's start for the queue's order, with undated work last (maintained by save()).
    queue_at = models.DateTimeField(default=QUEUE_LAST, editable=False)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    estimated_minutes = models.PositiveIntegerField(default=60)
    required_skills = models.ManyToManyField(Skill, related_name="+", blank=True)
    required_certifications = models.ManyToManyField(Certification, related_name="+", blank=True)
    change = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_work_orders", db_index=False
    )
    team = models.CharField(max_length=100, blank=True)
    engineer = models.ForeignKey(
        Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders",
        help_text="The engineer assigned to do the work.",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    # Verified, closed or cancelled (maintained by save()): the working queue is the rest.
    finished = models.BooleanField(default=False, editable=False)
    rework_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rework"
    )
    first_time_fix = models.BooleanField(null=True, blank=True)
    # Maintained by the readiness service on every change of its inputs (read often, filtered on).
    blocked = models.BooleanField(default=False)
    at_risk = models.BooleanField(default=False)
    next_needed_by = models.DateTimeField(null=True, blank=True)
    readiness = models.JSONField(default=dict, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    completion_report = models.TextField(blank=True)
    checklist = models.JSONField(default=dict, blank=True, help_text="Completion checklist answers.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "client"

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"]),
            models.Index(fields=["site", "state"]),
            models.Index(fields=["client", "state"]),
            models.Index(fields=["owner", "state"]),
            # The queue's urgency order (queries.urgency_order), whole and for ?blocked=.
            models.Index(fields=["-at_risk", "priority", "queue_at", "-id"], name="wo_queue"),
            models.Index(fields=["blocked", "-at_risk", "priority", "queue_at", "-id"], name="wo_queue_blocked"),
            models.Index(fields=["finished", "-at_risk", "priority", "queue_at", "-id"], name="wo_queue_working"),
            # Keyset (cursor) paging by id within ?blocked= and ?at_risk=.
            models.Index(fields=["blocked", "-id"], name="wo_blocked_id"),
            models.Index(fields=["at_risk", "-id"], name="wo_at_risk_id"),
        ]
        constraints = [
            models.CheckConstraint(
                name="wo_window_ends_after_start",
                condition=models.Q(window_start__isnull=True) | models.Q(window_end__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
            ),
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep `queue_at` and `finished` in step with the window and state (also when only some fields are saved)."""
        self.queue_at = self.window_start or QUEUE_LAST
        self.finished = self.state in FINISHED_STATES
        fields = kwargs.get("update_fields")
        if fields is not None:
            derived = {"queue_at"} if "window_start" in fields else set()
            derived |= {"finished"} if "state" in fields else set()
            kwargs["update_fields"] = {*fields, *derived}
        super().save(*args, **kwargs)


class Part(models.Model):
    """A part the work needs, and where its shipment is."""

    class Shipment(models.TextChoices):
        NEEDED = "needed", "Needed"
        ORDERED = "ordered", "Ordered"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered to site"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    part_number = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    shipment = models.CharField(max_length=20, choices=Shipment.choices, default=Shipment.NEEDED)
    expected_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "work_order__client"

    def __str__(self) -> str:
        return f"{self.quantity}× {self.part_number}"


class Arrangement(models.Model):
    """What has been done about one site requirement for one work order (access request, escort, ...)."""

    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved / in place"
        REJECTED = "rejected", "Rejected"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="arrangements")
    requirement = models.ForeignKey(SiteRequirement, on_delete=models.CASCADE, related_name="arrangements")
    state = models.CharField(max_length=20, choices=State.choices, default=State.REQUESTED)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)

    tenant_path = "work_order__client"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_order", "requirement"], name="one_arrangement_per_requirement"),
        ]

    def __str__(self) -> str:
        return f"WO-{self.work_order_id} {self.requirement}: {self.state}"


class CategoryField(models.Model):
    """Completeness as data: information a category of work needs before it can be ready."""

    class Owner(models.TextChoices):
        SERVICE_DESK = "service_desk", "Service desk"
        CLIENT = "client", "Client"

    category = models.CharField(max_length=20, choices=CATEGORIES)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    owner = models.CharField(max_length=20, choices=Owner.choices, default=Owner.CLIENT)

    tenant_path = "__public__"

    class Meta:
        ordering = ["category", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "key"], name="one_field_per_category")]

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"


class Override(models.Model):
    """A dispatcher's recorded decision to proceed despite one readiness blocker."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="overrides")
    blocker = models.CharField(max_length=200, help_text="The blocker's key, e.g. 'site:12' or 'info:rack_location'.")
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    tenant_path = "work_order__client"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["work_order", "blocker"], name="one_override_per_blocker")]

    def __str__(self) -> str:
        return f"override {self.blocker} on WO-{self.work_order_id}"


class Handoff(models.Model):
    """A change of owner or team: what was done, what is next, open questions; acknowledged by the receiver."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="handoffs")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received")
    from_team = models.CharField(max_length=100, blank=True)
    to_team = models.CharField(max_length=100, blank=True)
    done_so_far = models.TextField(blank=True)
    next_step = models.TextField(blank=True)
    open_questions = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "work_order__client"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["acknowledged_at", "created_at"])]

    def __str__(self) -> str:
        return f"WO-{self.work_order_id} {self.from_user} → {self.to_user}"


class Comment(models.Model):
    """A note on a work order, internal or visible to the client."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal"
        CLIENT = "client", "Client-visible"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    created_at = models.DateTimeField()

    tenant_path = "work_order__client"

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on WO-{self.work_order_id}"


class CategoryPolicy(models.Model):
    """Per-category rules as data: whether an approved change is needed, and the completion checklist."""

    category = models.CharField(max_length=20, choices=CATEGORIES, unique=True)
    requires_change = models.BooleanField(default=False)
    checklist = models.JSONField(default=list, blank=True, help_text="Completion checklist items, in order.")
    # Check-in without a reason is accepted from the window's start less the first to its end plus
    # the second; the device's distance from the site is flagged beyond the radius.
    check_in_early_minutes = models.PositiveIntegerField(
        default=30, help_text="Minutes before the window a check-in needs no reason."
    )
    check_in_late_minutes = models.PositiveIntegerField(
        default=60, help_text="Minutes after the window a check-in needs no reason."
    )
    check_in_radius_m = models.PositiveIntegerField(
        default=500, help_text="A check-in reported further than this from the site (metres) is flagged."
    )

    tenant_path = "__public__"

    class Meta:
        verbose_name_plural = "category policies"

    def __str__(self) -> str:
        return self.category


class Visit(models.Model):
    """One attendance of an engineer at the site for a work order: check-in (when, where, why outside
    the window) and check-out (completed, or why not)."""

    class Outcome(models.TextChoices):
        ON_SITE = "on_site", "On site"
        COMPLETED = "completed", "Completed"
        NOT_COMPLETED = "not_completed", "Not completed"

    class FailureReason(models.TextChoices):
        # Conditions on site did not reflect what was expected (counted by analytics).
        NO_ACCESS = "no_access", "No access on arrival"
        PARTS_MISSING = "parts_missing", "Parts missing"
        WRONG_INFORMATION = "wrong_information", "Wrong information"
        CLIENT_NOT_READY = "client_not_ready", "Client not ready"
        OTHER = "other", "Other"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="visits")
    engineer = models.ForeignKey(Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    checked_in_at = models.DateTimeField()
    # The window as it was at check-in, and the minutes outside it beyond the tolerance (0: inside).
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    minutes_early = models.PositiveIntegerField(default=0)
    minutes_late = models.PositiveIntegerField(default=0)
    outside_window_reason = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True, help_text="From the site's coordinates, when both are known.")
    radius_m = models.PositiveIntegerField(default=500)
    far_from_site = models.BooleanField(default=False)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.ON_SITE)
    failure_reason = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    failure_note = models.TextField(blank=True)

    tenant_path = "work_order__client"

    class Meta:
        ordering = ["checked_in_at", "id"]
        indexes = [models.Index(fields=["outcome", "checked_out_at"], name="visit_outcome_out")]

    def __str__(self) -> str:
        return f"visit to WO-{self.work_order_id} at {self.checked_in_at:%Y-%m-%d %H:%M}"

    @property
    def outside_window(self) -> bool:
        """Checked in beyond the category's tolerance around the window."""
        return bool(self.minutes_early or self.minutes_late)


class BlockerSpell(models.Model):
    """One stretch of time a readiness blocker was open: who had to act, what was missing, from when to when.

    Written by transitions.refresh_readiness whenever the open blockers change (opened when a
    blocker appears, closed when it is cleared or overridden, or when the work leaves the open
    states); a blocker that comes back opens a new spell. SLA clocks read the spells of the
    parties their policy pauses for (slas.pauses).
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="blocker_spells")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    owner = models.CharField(max_length=20, help_text="Who must act: client, site, service_desk, dispatch, engineer.")
    waiting_for = models.CharField(max_length=300, help_text="In the client's words: 'your site access approval'.")
    detail = models.TextField(blank=True, help_text="The blocker's detail when it opened (for staff).")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "work_order__client"

    class Meta:
        ordering = ["work_order", "opened_at", "id"]
        indexes = [models.Index(fields=["work_order", "closed_at"], name="blocker_spell_open")]

    def __str__(self) -> str:
        return f"WO-{self.work_order_id} {self.key}: {self.opened_at} – {self.closed_at or 'open'}"
