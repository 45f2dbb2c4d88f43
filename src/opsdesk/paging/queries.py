"""Reads of paging: policies, a person's settings, and the escalation of an incident as steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet

from opsdesk.core import tenancy
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.incidents.models import Incident

from .models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    PagingProfile,
)


def list_policies(user: Any) -> QuerySet[EscalationPolicy]:
    """Escalation policies (staff only) with their steps."""
    steps = Prefetch("steps", queryset=EscalationStep.objects.select_related("schedule", "person"))
    return tenancy.scope(EscalationPolicy.objects.all(), user).prefetch_related(steps, "services", "integrations")


def get_policy(user: Any, pk: int) -> EscalationPolicy:
    """One policy, or NotFound."""
    return tenancy.get_scoped(list_policies(user), user, pk=pk)


def find_policy(user: Any, name_or_id: str) -> EscalationPolicy:
    """A policy by id or (exact, case-insensitive) name, for the CLI."""
    policies = list_policies(user)
    found = policies.filter(pk=int(name_or_id)).first() if name_or_id.isdigit() else None
    found = found or policies.filter(name__iexact=name_or_id).first()
    if found is None:
        raise NotFound(f"No escalation policy named {name_or_id!r}.")
    return found


def person_for(user: Any, person_id: int | None) -> Any:
    """The person whose settings are read or changed: the user, or (admins only) `person_id`."""
    if person_id is None or person_id == user.pk:
        return user
    if getattr(user, "role", "") != "admin" and not user.is_superuser:
        raise PermissionDenied("Only administrators manage other people's paging settings.")
    from django.contrib.auth import get_user_model

    person = get_user_model().objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"No user {person_id}.")
    return person


def list_contact_methods(person: Any) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(person=person)


def list_rules(person: Any) -> QuerySet[NotificationRule]:
    return NotificationRule.objects.filter(person=person).select_related("contact_method")


def get_profile(person: Any) -> PagingProfile:
    """The person's profile (unsaved defaults when none is stored)."""
    return PagingProfile.objects.filter(person=person).first() or PagingProfile(person=person)


def get_incident(user: Any, pk: int) -> Incident:
    """An incident the user may see, or NotFound."""
    return tenancy.get_scoped(Incident.objects.all(), user, pk=pk)


def step_label(step: EscalationStep) -> str:
    """How a step is named: "the on-call of EPR 24×7", "alice", "team EPR", "roles commander"."""
    if step.target_kind == "team":
        return f"team {step.team}"
    if step.target_kind == "roles":
        return "roles " + (", ".join(step.roles) or "all")
    if step.target_kind == "schedule":
        return f"the on-call of {step.schedule.name}" if step.schedule else "a schedule (none set)"
    return step.person.get_username() if step.person else "a person (none set)"


def escalation_status(user: Any, incident: Incident) -> dict[str, Any]:
    """The escalation of an incident: its steps done, due and waiting, with their pages."""
    esc = Escalation.objects.select_related("policy", "stopped_by").filter(incident=incident).order_by("-run").first()
    if esc is None:
        return {"policy": None, "state": "none", "urgency": None, "steps": [], "next_due_at": None}
    steps = list(esc.policy.steps.select_related("schedule", "person").order_by("position")) if esc.policy else []
    pages = list(esc.pages.select_related("person").order_by("cycle", "position", "due_at", "id"))
    rows = []
    for i, step in enumerate(steps):
        mine = [p for p in pages if p.position == step.position and p.cycle == esc.cycle] or \
               [p for p in pages if p.position == step.position]
        done = i < esc.step_index or (esc.cycle > 0 and bool(mine))
        at: dt.datetime | None = min((p.due_at for p in mine), default=None) if done else None
        if done:
            state = "done"
        elif i == esc.step_index and esc.state == "active":
            state = "due"
        else:
            state = "waiting"
        rows.append({
            "position": step.position + 1, "target": step_label(step), "state": state, "at": at,
            "due_at": esc.next_due_at if state == "due" else None, "wait_minutes": step.wait_minutes,
            "pages": [{"person": p.person.get_username(), "method": p.kind, "state": p.state, "sent_at": p.sent_at,
                       "cycle": p.cycle} for p in mine],
        })
    stopped = ""
    if esc.stopped_at is not None:
        by = f" by {esc.stopped_by.get_username()}" if esc.stopped_by else ""
        stopped = f"Escalation stopped: {esc.state}{by} at {esc.stopped_at:%Y-%m-%d %H:%M:%S} UTC"
    return {"policy": esc.policy.name if esc.policy else None, "state": esc.state, "urgency": esc.urgency,
            "cycle": esc.cycle, "run": esc.run, "steps": rows, "next_due_at": esc.next_due_at, "stopped": stopped}


def get_contact_method(person: Any, pk: int) -> ContactMethod:
    """One of the person's contact methods, or NotFound."""
    found = list_contact_methods(person).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No contact method {pk} of yours.")
    return found


def get_rule(person: Any, pk: int) -> NotificationRule:
    """One of the person's notification rules, or NotFound."""
    found = list_rules(person).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No notification rule {pk} of yours.")
    return found
