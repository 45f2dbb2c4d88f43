"""Presentation helpers of the work pages: state and priority badges, readiness in a word, local
times with their zone, and the words for owners, blocker kinds and transitions. Badges and labels
are the core filters over these mappings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from opsdesk.core.clock import zone_or_utc
from opsdesk.core.templatetags.opsdesk_ui import class_filter, label_filter, utc_offset

register = template.Library()

STATE_CLASS = {
    "draft": "neutral",
    "submitted": "info",
    "triage": "info",
    "readiness": "warn",
    "ready": "ok",
    "scheduled": "ok",
    "dispatched": "ok",
    "en_route": "ok",
    "on_site": "ok",
    "completed": "ok",
    "verified": "closed",
    "closed": "closed",
    "on_hold": "neutral",
    "blocked": "danger",
    "cancelled": "closed",
}
PRIORITY_CLASS = {"p1": "danger", "p2": "warn", "p3": "info", "p4": "neutral"}
OWNER_LABELS = {
    "service_desk": "Service desk",
    "client": "Client",
    "dispatch": "Dispatch",
    "site": "Site",
    "engineer": "Engineer",
}
KIND_LABELS = {
    "information": "Information",
    "site_requirement": "Site rule",
    "permitted_hours": "Permitted hours",
    "freeze": "Freeze",
    "people": "People",
    "engineer": "Engineer",
    "parts": "Parts",
    "change": "Change",
    "window": "Window",
}
TRANSITION_LABELS = {
    "submitted": "Submit",
    "triage": "Start triage",
    "readiness": "Check readiness",
    "ready": "Mark ready",
    "scheduled": "Schedule",
    "dispatched": "Dispatch",
    "en_route": "En route",
    "on_site": "On site",
    "completed": "Complete",
    "verified": "Verify",
    "closed": "Close",
    "on_hold": "Put on hold",
    "blocked": "Mark blocked",
    "cancelled": "Cancel work order",
}
# The button of a transition: the usual next step stands out, cancelling warns, the rest are quiet.
TRANSITION_STYLE = {
    "cancelled": "btn-danger",
    "blocked": "btn-danger",
    "on_hold": "btn",
    "triage": "btn",
    "readiness": "btn",
}
# States in which readiness is maintained (the badge shows nothing for others).
READINESS_STATES = frozenset(
    {"submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route", "blocked", "on_hold"}
)

register.filter("wo_state_class", class_filter(STATE_CLASS))
register.filter("priority_class", class_filter(PRIORITY_CLASS))
register.filter("owner_label", label_filter(OWNER_LABELS))
register.filter("kind_label", label_filter(KIND_LABELS))
register.filter("transition_label", label_filter(TRANSITION_LABELS))
register.filter(
    "transition_style", class_filter(TRANSITION_STYLE, prefix="", default="btn-primary")
)


@register.filter
def wo_id(pk: Any) -> str:
    """'WO-12'."""
    return f"WO-{pk}"


def open_blockers(wo: Any) -> list[dict[str, Any]]:
    """The stored (maintained) blockers of a work order that nobody overrode."""
    stored = getattr(wo, "readiness", None) or {}
    blockers = stored.get("blockers") if isinstance(stored, dict) else None
    if not isinstance(blockers, list):
        return []
    return [b for b in blockers if isinstance(b, dict) and not b.get("overridden")]


@register.inclusion_tag("workorders/partials/readiness_badge.html")
def readiness_badge(wo: Any) -> dict[str, Any]:
    """'ready' / '3 blockers' / 'at risk' from the readiness the services maintain on the row."""
    if wo.state not in READINESS_STATES:
        return {"label": "", "css": ""}
    count = len(open_blockers(wo))
    if not count and wo.blocked:
        count = 1
    return {
        "label": "ready" if not count else f"{count} blocker{'s' if count != 1 else ''}",
        "css": "badge-ok" if not count else "badge-warn",
        "at_risk": bool(wo.at_risk),
    }


@register.simple_tag
def local_time(value: dt.datetime | None, time_zone: str | None, fmt: str = "%a %-d %b %H:%M") -> str:
    """'Tue 3 Mar 14:00 Europe/London': an instant in a named zone, with the zone."""
    if value is None:
        return "—"
    local = value.astimezone(zone_or_utc(time_zone))
    return f"{local.strftime(fmt)} {time_zone or 'UTC'}"


@register.simple_tag
def local_window(start: dt.datetime | None, end: dt.datetime | None, time_zone: str | None) -> str:
    """'Tue 3 Mar 14:00–16:00 Europe/London' (the end's date is shown when it is another day)."""
    if start is None:
        return "not set"
    zone = zone_or_utc(time_zone)
    a = start.astimezone(zone)
    head = f"{a:%a} {a.day} {a:%b} {a:%H:%M}"
    if end is None:
        return f"{head} {time_zone}"
    b = end.astimezone(zone)
    tail = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a} {b.day} {b:%b} {b:%H:%M}"
    return f"{head}–{tail} {time_zone}"


@register.filter
def utc_offset_in(value: dt.datetime | None, time_zone: str | None) -> str:
    """'UTC+01:00' of the zone at that instant."""
    return "" if value is None else utc_offset(value.astimezone(zone_or_utc(time_zone)))


@register.filter
def person(user: Any) -> str:
    """A user's full name, else the username ('—' for nobody)."""
    if user is None:
        return "—"
    return str(user.get_full_name() or user.get_username())


@register.filter
def client_waiting(wo: Any) -> int:
    """How many open blockers the client must act on (from the maintained readiness)."""
    if wo.state not in READINESS_STATES:
        return 0
    return sum(1 for b in open_blockers(wo) if b.get("owner") == "client")
