"""Builders for paging tests: policies with steps, incidents opened through the incidents service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident
from opsdesk.paging.models import ContactMethod, EscalationPolicy, EscalationStep, NotificationRule

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday, 10:00 UTC


def make_policy(*steps: dict[str, Any], name: str = "Default", is_default: bool = True, repeat: int = 0,
                **kw: Any) -> EscalationPolicy:
    """A policy with steps given as {"target_kind", "person"/"schedule"/"team"/"roles", "wait_minutes"}."""
    policy = EscalationPolicy.objects.create(name=name, is_default=is_default, repeat=repeat, **kw)
    for i, step in enumerate(steps):
        EscalationStep.objects.create(policy=policy, position=i, **step)
    return policy


def person(user: Any, wait: float = 15) -> dict[str, Any]:
    return {"target_kind": "person", "person": user, "wait_minutes": wait}


def open_incident(owner: Any, *, severity: str = "sev1", at: dt.datetime = T0, **data: Any) -> Incident:
    """Declare an incident by hand (publishes IncidentsChanged, which starts paging)."""
    with clock.frozen(at):
        return incidents.declare_incident({"title": "EPR down", "severity": severity, **data}, actor=owner)


def rule(user: Any, urgency: str, kind: str = "email", delay: float = 0, **method: Any) -> NotificationRule:
    cm = ContactMethod.objects.create(person=user, kind=kind, **method)
    return NotificationRule.objects.create(person=user, urgency=urgency, contact_method=cm, delay_minutes=delay)
