"""Presentation helpers of the changes pages: times in a named zone, state and risk badges, the words
for transitions and risk components. Badges and labels are the core filters over these mappings."""

from __future__ import annotations

import datetime as dt

from django import template

from opsdesk.core.clock import zone_or_utc
from opsdesk.core.templatetags.opsdesk_ui import class_filter, label_filter

register = template.Library()

STATE_CLASS = {
    "draft": "neutral",
    "submitted": "info",
    "assessing": "info",
    "approved": "ok",
    "scheduled": "ok",
    "implementing": "warn",
    "completed": "ok",
    "rolled_back": "danger",
    "failed": "danger",
    "reviewed": "closed",
    "closed": "closed",
    "rejected": "danger",
    "cancelled": "closed",
}
RISK_CLASS = {"low": "low", "medium": "medium", "high": "high"}
TRANSITION_LABELS = {
    "submitted": "Submit",
    "assessing": "Start assessment",
    "approved": "Mark approved",
    "scheduled": "Schedule",
    "implementing": "Start implementing",
    "completed": "Mark completed",
    "rolled_back": "Mark rolled back",
    "failed": "Mark failed",
    "reviewed": "Mark reviewed",
    "closed": "Close",
    "rejected": "Reject",
    "cancelled": "Cancel change",
    "draft": "Back to draft",
}
# The button of a transition: the usual next step stands out, destructive ones warn.
TRANSITION_STYLE = {
    "cancelled": "btn-danger",
    "rejected": "btn-danger",
    "failed": "btn-danger",
    "rolled_back": "btn-danger",
    "draft": "btn-quiet",
}
COMPONENT_LABELS = {
    "criticality": "Criticality of the services",
    "downstream_criticality": "What depends on them",
    "blast_radius": "Blast radius",
    "failure_history": "Failure history",
    "business_hours": "Business hours",
    "rollback": "Rollback plan",
    "verification": "Verification plan",
    "collisions": "Collisions",
    "windows": "Windows and freezes",
    "emergency": "Emergency change",
}

register.filter("state_class", class_filter(STATE_CLASS))
register.filter("risk_class", class_filter(RISK_CLASS, prefix="risk-", default="none"))
register.filter("transition_label", label_filter(TRANSITION_LABELS, fallback=str.title))
register.filter(
    "transition_style", class_filter(TRANSITION_STYLE, prefix="", default="btn-primary")
)
register.filter("component_label", label_filter(COMPONENT_LABELS))


@register.simple_tag
def span_in_zone(start: dt.datetime, end: dt.datetime, time_zone: str | None) -> str:
    """'Sun 8 Mar 02:00–04:00' in the zone; the end's date is shown when it falls on another day."""
    zone = zone_or_utc(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    head = f"{a:%a} {a.day} {a:%b} {a:%H:%M}"
    if a.date() == b.date():
        return f"{head}–{b:%H:%M}"
    return f"{head} – {b:%a} {b.day} {b:%b} {b:%H:%M}"


@register.simple_tag
def hours_in_zone(start: dt.datetime, end: dt.datetime, time_zone: str | None) -> str:
    """'02:00–04:00' in the zone ('+1d' marks an end on a later day)."""
    zone = zone_or_utc(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    days = (b.date() - a.date()).days
    return f"{a:%H:%M}–{b:%H:%M}" + (f" +{days}d" if days else "")
