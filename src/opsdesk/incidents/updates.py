"""Status updates per audience (responders, client stakeholders, end users), templates, and the
reminder when an update is overdue for the incident's severity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, notify, timeline
from opsdesk.core.errors import field_error
from opsdesk.core.models import Activity

from . import rules
from .models import Audience, Incident, IncidentRole, IncidentUpdate, UpdateTemplate
from .services import announce

CLIENT_AUDIENCES = frozenset({Audience.CLIENTS, Audience.END_USERS})


@transaction.atomic
def post_update(incident: Incident, data: dict[str, Any], *, actor: User) -> IncidentUpdate:
    """Post an update to one audience; client and end-user updates show in the client portal.

    End-user updates must say in plain words what people can and cannot do; each client or
    end-user update sets when the next one is due (given, or the severity's cadence).
    """
    audience = data.get("audience") or ""
    if audience not in Audience.values:
        raise field_error("audience", f"one of {', '.join(Audience.values)}")
    body = (data.get("body") or "").strip()
    if not body:
        raise field_error("body", "write the update")
    if audience == Audience.END_USERS and not (data.get("can_do") or data.get("cannot_do")):
        raise field_error("cannot_do", "tell end users what they can or cannot do right now")
    now = clock.now()
    next_at = data.get("next_update_at")
    if next_at is not None and next_at <= now:
        raise field_error("next_update_at", "the next update must be in the future")
    update = IncidentUpdate.objects.create(
        incident=incident, audience=audience, body=body, can_do=data.get("can_do") or "",
        cannot_do=data.get("cannot_do") or "", workaround=data.get("workaround") or "",
        next_update_at=next_at, posted_by=actor, posted_at=now,
    )
    if incident.state in rules.OPEN_STATES and audience in CLIENT_AUDIENCES:
        # The due time is a promise to the affected people; responders' notes do not move it.
        incident.next_update_due_at = next_at or rules.next_update_due(incident.severity, now)
        incident.save(update_fields=["next_update_due_at", "updated_at"])
    visibility = Activity.Visibility.CLIENT if audience in CLIENT_AUDIENCES else Activity.Visibility.INTERNAL
    timeline.record(incident, "update", actor=actor, summary=f"Update for {Audience(audience).label}: {body}",
                    visibility=visibility)
    announce(incident, "incident.updated", client_text=body if audience in CLIENT_AUDIENCES else "",
             summary=f"Update for {Audience(audience).label}: {body}")
    return update


def render_template(template: UpdateTemplate, incident: Incident) -> dict[str, str]:
    """A template filled in for this incident: {title}, {services}, {state}, {next_update}."""
    services = ", ".join(s["name"] for s in (incident.impact or {}).get("services", [])) or "the affected services"
    due = rules.next_update_due(incident.severity, clock.now())
    values = {"title": incident.title, "services": services, "state": incident.get_state_display(),
              "next_update": f"{due:%H:%M} UTC"}

    def fill(text: str) -> str:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text  # a template with other braces is shown as written

    return {name: fill(getattr(template, name)) for name in ("body", "can_do", "cannot_do", "workaround")}


def remind_overdue(now: dt.datetime | None = None) -> int:
    """Notify the communications lead (else the owner) of each open incident whose update is overdue, once per due time."""
    now = now or clock.now()
    reminded = 0
    due = Incident.objects.filter(state__in=sorted(rules.OPEN_STATES), next_update_due_at__lte=now)
    for incident in due.select_related("owner"):
        if incident.update_reminded_at and incident.next_update_due_at and incident.update_reminded_at >= incident.next_update_due_at:
            continue
        with transaction.atomic():
            lead = IncidentRole.objects.filter(incident=incident, role=IncidentRole.Role.COMMUNICATIONS).select_related("user").first()
            who = lead.user if lead else incident.owner
            late = int((now - incident.next_update_due_at).total_seconds() // 60) if incident.next_update_due_at else 0
            notify.notify([who], f"Update overdue on INC-{incident.pk} ({incident.get_severity_display()})",
                          body=f"The next update was due {late} min ago. Tell the affected people where things stand.",
                          url=f"/incidents/{incident.pk}/")
            Incident.objects.filter(pk=incident.pk).update(update_reminded_at=now)
            timeline.record(incident, "reminder", actor="opsdesk", summary=f"Update overdue; reminded {who.get_username()}")
            reminded += 1
    return reminded
