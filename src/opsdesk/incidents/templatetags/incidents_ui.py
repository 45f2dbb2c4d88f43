"""Presentation helpers of the incident pages: severity and state badges, the words for
transitions, durations, "next update due in / overdue by", times in the viewer's zone, and the
incidents section of the client portal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from opsdesk.core import clock
from opsdesk.core.clock import zone_or_utc
from opsdesk.core.templatetags.opsdesk_ui import class_filter, label_filter

from .. import page_queries

register = template.Library()

SEVERITY_CLASS = {"sev1": "danger", "sev2": "warn", "sev3": "info", "sev4": "neutral"}
STATE_CLASS = {
    "triggered": "danger",
    "acknowledged": "warn",
    "investigating": "warn",
    "identified": "info",
    "monitoring": "info",
    "resolved": "ok",
    "closed": "closed",
}
ALERT_STATUS_CLASS = {"firing": "danger", "acknowledged": "warn", "resolved": "ok"}
ALERT_SEVERITY_CLASS = {"critical": "danger", "error": "warn", "warning": "info", "info": "neutral"}
TRANSITION_LABELS = {
    "acknowledged": "Acknowledge",
    "investigating": "Investigating",
    "identified": "Cause identified",
    "monitoring": "Mitigated: monitoring",
    "resolved": "Resolve",
    "closed": "Close",
}
KIND_LABELS = {"change": "Change", "visit": "On-site visit", "event": "Service event"}

register.filter("severity_class", class_filter(SEVERITY_CLASS))
register.filter("incident_state_class", class_filter(STATE_CLASS))
register.filter("alert_status_class", class_filter(ALERT_STATUS_CLASS))
register.filter("alert_severity_class", class_filter(ALERT_SEVERITY_CLASS))
register.filter("incident_transition_label", label_filter(TRANSITION_LABELS, fallback=str.title))
register.filter("suspect_kind", label_filter(KIND_LABELS))


@register.filter
def inc_id(pk: Any) -> str:
    """'INC-12'."""
    return f"INC-{pk}"


@register.filter
def duration(seconds: int | float | None) -> str:
    """3725 -> '1 h 2 min'; 40 -> '40 s'; None -> '—'."""
    if seconds is None:
        return "—"
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.simple_tag
def age(since: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago, as a duration ('2 h 5 min')."""
    return "—" if since is None else duration((now - since).total_seconds())


@register.simple_tag
def due_in(at: dt.datetime | None, now: dt.datetime) -> dict[str, Any] | None:
    """{"overdue", "soon", "text"} for a due instant: "in 25 min" or "overdue by 5 min"."""
    if at is None:
        return None
    seconds = int((at - now).total_seconds())
    if seconds < 0:
        return {"overdue": True, "soon": False, "text": f"overdue by {duration(-seconds)}"}
    return {"overdue": False, "soon": seconds <= 600, "text": f"in {duration(seconds)}"}


@register.simple_tag
def when(value: dt.datetime | None, time_zone: str | None, fmt: str = "%a %-d %b %H:%M") -> str:
    """'Tue 3 Mar 14:05 Europe/London': an instant in the named zone, with the zone."""
    if value is None:
        return "—"
    return f"{value.astimezone(zone_or_utc(time_zone)).strftime(fmt)} {time_zone or 'UTC'}"


@register.filter
def client_state(state: str) -> str:
    """The state in plain words for client users."""
    return page_queries.CLIENT_STATES.get(state, str(state).capitalize())


@register.inclusion_tag("incidents/partials/portal_incidents.html", takes_context=True)
def portal_incidents(context: template.Context) -> dict[str, Any]:
    """The client portal's incidents section: open incidents impacting the viewer, and last week's."""
    request = context.get("request")
    user = getattr(request, "user", None)
    incidents = page_queries.portal_incidents(user) if user is not None else []
    return {
        "incidents": incidents,
        "user": user,
        "zone": getattr(user, "time_zone", "") or "UTC",
        "now": clock.now(),
    }
