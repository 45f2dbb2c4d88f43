"""Presentation helpers of the changes pages: times in a named zone, state and risk badges."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.templatetags.tz import do_timezone

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


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@register.filter
def in_zone(value: dt.datetime | None, time_zone: str | None) -> dt.datetime | None:
    """The instant in the named IANA zone, kept in that zone when formatted with |date."""
    if value is None or value.tzinfo is None:
        return value
    return do_timezone(value, _zone(time_zone))


@register.filter
def offset(value: dt.datetime | None) -> str:
    """'UTC+05:30' for an aware datetime."""
    if value is None:
        return ""
    raw = value.strftime("%z")
    return f"UTC{raw[:3]}:{raw[3:]}" if raw else "UTC"


@register.simple_tag
def span_in_zone(start: dt.datetime, end: dt.datetime, time_zone: str | None) -> str:
    """'Sun 8 Mar 02:00–04:00' in the zone; the end's date is shown when it falls on another day."""
    zone = _zone(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    head = f"{a:%a} {a.day} {a:%b} {a:%H:%M}"
    if a.date() == b.date():
        return f"{head}–{b:%H:%M}"
    return f"{head} – {b:%a} {b.day} {b:%b} {b:%H:%M}"


@register.simple_tag
def hours_in_zone(start: dt.datetime, end: dt.datetime, time_zone: str | None) -> str:
    """'02:00–04:00' in the zone ('+1d' marks an end on a later day)."""
    zone = _zone(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    days = (b.date() - a.date()).days
    return f"{a:%H:%M}–{b:%H:%M}" + (f" +{days}d" if days else "")


@register.filter
def state_class(state: str) -> str:
    """Badge modifier for a change state."""
    return f"badge-{STATE_CLASS.get(state, 'neutral')}"


@register.filter
def risk_class(level: str) -> str:
    """Badge modifier for a risk level."""
    return f"risk-{RISK_CLASS.get(level or '', 'none')}"


@register.filter
def transition_label(state: str) -> str:
    """The button text that moves a change into `state`."""
    return {
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
    }.get(state, state.replace("_", " ").title())


@register.filter
def transition_style(state: str) -> str:
    """Button class for a transition: the usual next step stands out, destructive ones warn."""
    if state in {"cancelled", "rejected", "failed", "rolled_back"}:
        return "btn-danger"
    if state in {"draft"}:
        return "btn-quiet"
    return "btn-primary"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


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


@register.filter
def component_label(name: str) -> str:
    """A risk component's name in words."""
    return COMPONENT_LABELS.get(name, str(name).replace("_", " ").capitalize())
