"""Reads the incident pages need beyond incidents.queries: the list with open incidents first, filter
options, the page's sections (roles, correlated alerts, updates per audience, what changed), the
client's view, and the one next action. Every read is scoped through incidents.queries or
core.tenancy; templates only format what is computed here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, CharField, F, IntegerField, QuerySet, Value, When

from opsdesk.accounts import queries as account_queries
from opsdesk.changes import queries as change_queries
from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from opsdesk.core.models import Activity
from opsdesk.core.timeline import for_object
from opsdesk.services import queries as service_queries
from opsdesk.sites import queries as site_queries
from opsdesk.tenancy import queries as client_queries

from . import queries, rules
from .models import (
    Audience,
    Incident,
    IncidentAlert,
    IncidentRole,
    IncidentUpdate,
    Severity,
)
from .updates import CLIENT_AUDIENCES, render_template

OPEN = sorted(rules.OPEN_STATES)
CHANGE_REF = "changes.changerequest:"
# What each state asks of the responders next (the big button at the top of the page).
NEXT_STEP = {
    "triggered": "acknowledged",
    "acknowledged": "investigating",
    "investigating": "identified",
    "identified": "monitoring",
    "monitoring": "resolved",
    "resolved": "closed",
}
# Plain words for client users: what is happening, not our workflow's names.
CLIENT_STATES = {
    "triggered": "We are aware of a problem",
    "acknowledged": "We are working on it",
    "investigating": "We are investigating",
    "identified": "We found the cause and are fixing it",
    "monitoring": "A fix is in place; we are watching closely",
    "resolved": "Resolved",
    "closed": "Resolved",
}
RECENT = dt.timedelta(days=7)  # resolved incidents stay in the portal this long


def _flag(value: str | None) -> bool | None:
    return {"open": True, "closed": False}.get(value or "")


def list_incidents(user: Any, filters: dict[str, Any]) -> QuerySet[Incident]:
    """Incidents the user may see, filtered: open ones first (most severe, then newest), then the rest, newest first."""
    qs = queries.list_incidents(
        user, state=filters.get("state"), severity=filters.get("severity"), service=filters.get("service"),
        client=filters.get("client"), open=_flag(filters.get("status")),
    )
    is_open = When(state__in=OPEN, then=Value(0))
    return qs.annotate(
        closed_rank=Case(is_open, default=Value(1), output_field=IntegerField()),
        open_severity=Case(When(state__in=OPEN, then=F("severity")), default=Value(""), output_field=CharField()),
    ).order_by("closed_rank", "open_severity", "-detected_at", "-id")


def filter_options(user: Any) -> dict[str, Any]:
    """What the list's filter selects offer."""
    return {
        "states": Incident.State.choices,
        "severities": Severity.choices,
        "services": service_queries.list_services(user),
        "clients": client_queries.list_clients(user),
        "statuses": [("open", "Open"), ("closed", "Resolved or closed")],
    }


def portal_incidents(user: Any, limit: int = 10) -> list[Incident]:
    """The portal's incidents: open ones impacting the viewer's client, and those resolved in the last week."""
    since = clock.now() - RECENT
    qs = list_incidents(user, {}).exclude(state__in=["resolved", "closed"], resolved_at__lt=since)
    return list(qs[:limit])


def staff_users(user: Any) -> QuerySet[Any]:
    """Active staff users: owners and role holders (never client users)."""
    return account_queries.list_users(user).exclude(role="client").filter(is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def visible_services(user: Any) -> QuerySet[Any]:
    """Services the user may name on an incident."""
    return service_queries.list_services(user)


def visible_sites(user: Any) -> QuerySet[Any]:
    """Sites the user may name on an incident."""
    return site_queries.list_sites(user)


def get_change(user: Any, change_id: int) -> ChangeRequest:
    """A change the user may see (to link as the cause), or NotFound."""
    return change_queries.get_change(user, change_id)


# -- the incident page --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRow:
    """One role on the incident page: who holds it and whether they acknowledged it."""

    role: str
    label: str
    holder: IncidentRole | None
    is_mine: bool

    @property
    def awaiting(self) -> bool:
        """Given but not acknowledged yet."""
        return self.holder is not None and self.holder.acknowledged_at is None


def role_rows(incident: Incident, user: Any) -> list[RoleRow]:
    """Each role in a fixed order, held or not (roles are prefetched by incidents.queries)."""
    held = {r.role: r for r in incident.roles.all()}
    return [
        RoleRow(value, str(label), held.get(value), bool(held.get(value) and held[value].user_id == user.pk))
        for value, label in IncidentRole.Role.choices
    ]


def alert_links(incident: Incident) -> list[IncidentAlert]:
    """The incident's correlated alerts with why each joined, first linked first."""
    return list(
        IncidentAlert.objects.filter(incident=incident)
        .select_related("alert", "alert__integration", "alert__service", "alert__site")
        .order_by("linked_at", "id")
    )


@dataclass
class Suspect:
    """One "what changed" candidate as the page shows it."""

    label: str
    kind: str
    state: str
    score: int
    reasons: list[str]
    url: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    change_id: int | None = None
    linked: bool = False


def _instant(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def what_changed(incident: Incident) -> list[Suspect]:
    """The stored ranking, with the change id of each change (for "Link as cause")."""
    rows = []
    for item in incident.what_changed or []:
        if not isinstance(item, dict):
            continue
        ref = str(item.get("ref", ""))
        change_id = None
        if item.get("kind") == "change" and ref.startswith(CHANGE_REF) and ref[len(CHANGE_REF):].isdigit():
            change_id = int(ref[len(CHANGE_REF):])
        rows.append(Suspect(
            label=str(item.get("label", "")), kind=str(item.get("kind", "")), state=str(item.get("state", "")),
            score=int(item.get("score") or 0), reasons=[str(r) for r in item.get("reasons") or []],
            url=str(item.get("url", "")), start_at=_instant(item.get("start_at")), end_at=_instant(item.get("end_at")),
            change_id=change_id, linked=change_id is not None and change_id == incident.change_id,
        ))
    return rows


@dataclass
class AudienceBlock:
    """One audience's column: its updates (newest first), its templates and its form."""

    audience: str
    label: str
    updates: list[IncidentUpdate] = field(default_factory=list)
    templates: list[Any] = field(default_factory=list)
    form: Any = None


def updates_by_audience(user: Any, incident: Incident) -> dict[str, list[IncidentUpdate]]:
    """The updates the user may read, per audience (client users: client and end-user updates only)."""
    out: dict[str, list[IncidentUpdate]] = {a: [] for a in Audience.values}
    for update in queries.list_updates(user, incident):
        out.setdefault(update.audience, []).append(update)
    return out


def templates_by_audience(incident: Incident) -> dict[str, list[Any]]:
    """Update templates for each audience and the incident's severity."""
    out: dict[str, list[Any]] = {a: [] for a in Audience.values}
    for template in queries.list_templates(severity=incident.severity):
        out.setdefault(template.audience, []).append(template)
    return out


def prefill(template_id: int | None, incident: Incident) -> tuple[str, dict[str, str]] | None:
    """(audience, fields) of a template filled in for this incident, or None."""
    template = queries.get_template(template_id) if template_id else None
    if template is None:
        return None
    return template.audience, render_template(template, incident)


def postmortem_id(incident: Incident) -> int | None:
    """The incident's postmortem, if one was started. Postmortems are opsdesk.learning's: read through
    the reverse relation learning.Postmortem declares on Incident, so incidents imports nothing above it."""
    found = Incident.objects.filter(pk=incident.pk).values_list("postmortem", flat=True).first()
    return int(found) if found is not None else None


def notes(entries: list[Activity]) -> list[Activity]:
    """Responders' notes among timeline entries, newest first."""
    return sorted((e for e in entries if e.verb == "note"), key=lambda e: (e.at, e.pk), reverse=True)


# -- what to do next, and when the next update is due ----------------------------------------------


@dataclass(frozen=True)
class Due:
    """When the next update is due, relative to now."""

    at: dt.datetime
    seconds: int  # negative when overdue

    @property
    def overdue(self) -> bool:
        """Past the promised time."""
        return self.seconds < 0

    @property
    def soon(self) -> bool:
        """Due within ten minutes."""
        return 0 <= self.seconds <= 600


def next_update_due(incident: Incident, now: dt.datetime | None = None) -> Due | None:
    """The next update's due time for an open incident (None once resolved)."""
    if incident.next_update_due_at is None or incident.state not in rules.OPEN_STATES:
        return None
    now = now or clock.now()
    return Due(incident.next_update_due_at, int((incident.next_update_due_at - now).total_seconds()))


@dataclass(frozen=True)
class NextAction:
    """The one thing the page asks of the responder now."""

    kind: str  # transition | update | role
    target: str  # the state, the audience or the role
    text: str
    needs_reason: bool = False


def next_action(incident: Incident, roles: list[RoleRow], due: Due | None) -> NextAction | None:
    """Acknowledge a triggered incident; else acknowledge a role given to you; else post an overdue
    update; else the state's usual next step (resolving asks for what fixed it)."""
    if incident.state == "triggered":
        return NextAction("transition", "acknowledged", "Acknowledge")
    mine = next((r for r in roles if r.is_mine and r.awaiting), None)
    if mine is not None:
        return NextAction("role", mine.role, f"Acknowledge your role: {mine.label}")
    if due is not None and due.overdue:
        return NextAction("update", Audience.CLIENTS, "Post the overdue update")
    step = NEXT_STEP.get(incident.state)
    if step is None or step not in rules.MACHINE.allowed(incident.state):
        return None
    return NextAction("transition", step, "", needs_reason=step in rules.REASON_REQUIRED)


def metrics(incident: Incident) -> list[tuple[str, int | None]]:
    """(label, seconds) of the response metrics; None while not reached."""
    m = rules.metrics(incident.started_at, incident.detected_at, incident.acknowledged_at, incident.mitigated_at,
                      incident.resolved_at)
    return [
        ("Time to detect", m["time_to_detect"]),
        ("Time to acknowledge", m["time_to_acknowledge"]),
        ("Time to mitigate", m["time_to_mitigate"]),
        ("Time to resolve", m["time_to_resolve"]),
    ]


def transitions(incident: Incident) -> list[str]:
    """The states the incident may move to, in lifecycle order."""
    return sorted(rules.MACHINE.allowed(incident.state), key=rules.STATES.index)


# -- the client's view ----------------------------------------------------------------------------


def client_impact(user: Any, incident: Incident) -> dict[str, list[Any]]:
    """Affected services and sites the viewer may see (another client's services are never named)."""
    impact = incident.impact or {}
    service_ids = {int(s["id"]) for s in impact.get("services", []) + impact.get("downstream", []) if "id" in s}
    site_ids = {int(s["id"]) for s in impact.get("sites", []) if "id" in s}
    return {
        "services": list(service_queries.services_by_ids(user, service_ids).order_by("name")),
        "sites": list(site_queries.list_sites(user).filter(pk__in=site_ids).order_by("code")),
    }


def client_history(incident: Incident) -> list[tuple[dt.datetime, str]]:
    """State changes in plain words (when, what), oldest first; the responders' reasons are not shown."""
    out = [(incident.detected_at, "We became aware of the problem")]
    for entry in for_object(incident, client_visible_only=True).filter(verb="transition"):
        pair = (entry.changes or {}).get("state")
        if isinstance(pair, list) and len(pair) == 2 and pair[1] in CLIENT_STATES:
            out.append((entry.at, CLIENT_STATES[str(pair[1])]))
    return out


def client_updates(user: Any, incident: Incident) -> list[IncidentUpdate]:
    """Client and end-user updates only, newest first, whoever is looking."""
    return [u for u in queries.list_updates(user, incident) if u.audience in CLIENT_AUDIENCES]
