"""What the people area shows on other pages (counts, engineers at a site) and expiry badges."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from opsdesk.core import clock
from opsdesk.people import queries, rules

register = template.Library()


@register.filter
def expiry(expires_on: dt.date | None) -> str:
    """'expired', 'expiring' (within 30 days) or 'valid', as of today (UTC)."""
    return rules.expiry_status(expires_on, clock.today_utc())


@register.filter
def days_left(expires_on: dt.date | None) -> int | None:
    """Days from today (UTC) until the date; negative once past."""
    return None if expires_on is None else (expires_on - clock.today_utc()).days


@register.filter
def expiry_counts(records: Any) -> dict[str, int]:
    """How many of these records (with ``expires_on``) are expired and expiring."""
    today = clock.today_utc()
    counts = {"expired": 0, "expiring": 0, "valid": 0}
    for record in records:
        counts[rules.expiry_status(record.expires_on, today)] += 1
    return counts


@register.simple_tag(takes_context=True)
def visible_engineer_count(context: template.Context) -> int:
    """How many engineers the signed-in user may see."""
    return queries.list_engineers(context["request"].user).count()


@register.inclusion_tag("people/partials/site_engineers.html", takes_context=True)
def site_engineers_panel(context: template.Context, site: Any) -> dict[str, Any]:
    """Engineers with access, inductions or clearances at a site (staff only)."""
    user = context["request"].user
    return {"grants": queries.list_site_access(user, site=site.pk), "request": context["request"]}
