"""Incident rows for tests, built with the ORM (no incident services involved)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.core import clock, timeline
from opsdesk.incidents.models import Incident
from opsdesk.services.models import Service
from opsdesk.tenancy.models import Client
from tests import factories as f

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def make_incident(
    *,
    services: list[Service] | None = None,
    clients: list[Client] | None = None,
    owner: Any = None,
    state: str = "resolved",
    started_at: dt.datetime = T0,
    detected_after: dt.timedelta = dt.timedelta(minutes=3),
    acknowledged_after: dt.timedelta | None = dt.timedelta(minutes=4),
    mitigated_after: dt.timedelta | None = dt.timedelta(minutes=85),
    resolved_after: dt.timedelta | None = dt.timedelta(minutes=100),
    **fields: Any,
) -> Incident:
    """An incident with its instants relative to `started_at`; clients default to its services' clients."""
    detected = started_at + detected_after
    fields.setdefault("title", f"Checkout errors {f.n()}")
    fields.setdefault("severity", "sev2")
    incident = Incident.objects.create(
        state=state,
        owner=owner or f.make_user("incident_commander"),
        started_at=started_at,
        detected_at=detected,
        acknowledged_at=detected + acknowledged_after if acknowledged_after is not None else None,
        mitigated_at=started_at + mitigated_after if mitigated_after is not None and state in ("monitoring", "resolved", "closed") else None,
        resolved_at=started_at + resolved_after if resolved_after is not None and state in ("resolved", "closed") else None,
        **fields,
    )
    services = services if services is not None else []
    incident.services.set(services)
    incident.clients.set(clients if clients is not None else {s.client for s in services})
    return incident


def story(incident: Incident) -> None:
    """A plausible timeline for the incident, as the incident services would write it."""
    at = incident.detected_at
    steps = [
        (at, "created", f"Declared SEV2: {incident.title}", {"state": [None, "triggered"]}),
        (at, "alert", "Alert HighErrorRate firing", {}),
        (incident.acknowledged_at or at, "transition", "State triggered → acknowledged", {"state": ["triggered", "acknowledged"]}),
        (at + dt.timedelta(minutes=5), "role", "Incident commander: alice", {}),
        (at + dt.timedelta(minutes=10), "update", "Update for Client stakeholders: we are looking into it", {}),
        (at + dt.timedelta(minutes=11), "note", "Tried restarting the pods", {}),
        (incident.mitigated_at or at, "transition", "State acknowledged → monitoring", {"state": ["acknowledged", "monitoring"]}),
        (incident.resolved_at or at, "transition", "State monitoring → resolved: fixed", {"state": ["monitoring", "resolved"]}),
    ]
    for when, verb, summary, changes in steps:
        with clock.frozen(when):
            timeline.record(incident, verb, actor="alice", summary=summary, changes=changes)
