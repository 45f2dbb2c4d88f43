"""Presentation helpers shared by every page: local times, weekly hours, lead times, links, and the
badge and label filters the apps' libraries build from their own mappings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.http import HttpRequest
from django.templatetags.tz import do_timezone

from opsdesk.core import clock

register = template.Library()

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


@register.filter
def as_local(value: dt.datetime | None) -> dt.datetime | None:
    """Keep an aware datetime in its own zone when formatted (|date would convert it to UTC)."""
    if value is None or value.tzinfo is None:
        return value
    local: dt.datetime = do_timezone(value, value.tzinfo)
    return local


@register.filter
def local_now(time_zone: str) -> dt.datetime | None:
    """Now, in the given IANA zone, shown in that zone (None for an unknown zone)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ValueError, KeyError, TypeError):
        return None
    local: dt.datetime = do_timezone(clock.now(), zone)
    return local


# -- badges and labels: each app's library registers these over its own mappings ------------------


def class_filter(
    classes: Mapping[Any, str], *, prefix: str = "badge-", default: str = "neutral"
) -> Callable[[Any], str]:
    """A filter giving `prefix` and the value's class in `classes` (`default` for any other value):
    ``register.filter("priority_class", class_filter({"p1": "danger"}))``."""

    def css_class(value: Any) -> str:
        return f"{prefix}{classes.get(value, default)}"

    return css_class


def label_filter(
    labels: Mapping[str, str], *, fallback: Callable[[str], str] = str.capitalize
) -> Callable[[Any], str]:
    """A filter giving the value's words in `labels`; any other value with spaces for underscores,
    through `fallback` (capitalised by default); nothing ("" or None) gives ""."""

    def label(value: Any) -> str:
        text = str(value or "")
        return labels.get(text, fallback(text.replace("_", " ")))

    return label


# -- lookups and zones -------------------------------------------------------------------------------


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def choices(objects: Any, fields: str) -> list[tuple[Any, str]]:
    """Objects as a select's (value, text) pairs: "pk code name" gives (o.pk, "code · name")."""
    value, *shown = fields.split()
    return [
        (getattr(o, value), " · ".join(str(getattr(o, name)) for name in shown)) for o in objects
    ]


@register.filter
def in_zone(value: dt.datetime | None, time_zone: str | None) -> dt.datetime | None:
    """The instant in the named IANA zone, kept in that zone when formatted with |date."""
    if value is None or value.tzinfo is None:
        return value
    local: dt.datetime = do_timezone(value, clock.zone_or_utc(time_zone))
    return local


@register.filter
def utc_offset(value: dt.datetime | None) -> str:
    """ "UTC+05:30" for an aware datetime."""
    if value is None:
        return ""
    raw = value.strftime("%z")
    return f"UTC{raw[:3]}:{raw[3:]}" if raw else "UTC"


def _intervals(value: Any) -> str:
    if not value:
        return "closed"
    return ", ".join(f"{a}–{b}" for a, b in value)


@register.filter
def weekday_rows(hours: Any, today: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per weekday: label, intervals text, whether it is today (in the given local time)."""
    hours = hours if isinstance(hours, dict) else {}
    today_key = WEEKDAYS[today.weekday()] if today is not None else None
    return [
        {
            "key": day,
            "label": DAY_LABELS[day],
            "text": _intervals(hours.get(day)),
            "closed": not hours.get(day),
            "today": day == today_key,
        }
        for day in WEEKDAYS
    ]


@register.filter
def hours_summary(hours: Any) -> str:
    """Weekly hours in one line, runs of equal days merged: "Mon–Fri 08:00–18:00 · Sat–Sun closed"."""
    if not isinstance(hours, dict):
        return ""
    groups: list[tuple[str, str, str]] = []
    for day in WEEKDAYS:
        text = _intervals(hours.get(day))
        if groups and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], day, text)
        else:
            groups.append((day, day, text))
    parts = []
    for first, last, text in groups:
        days = first.title() if first == last else f"{first.title()}–{last.title()}"
        parts.append(f"{days} {text}")
    return " · ".join(parts)


@register.filter
def lead_time(hours: int | None) -> str:
    """72 -> "72 h (3 days)"; 0 -> "none"."""
    if not hours:
        return "none"
    if hours >= 24 and hours % 24 == 0:
        days = hours // 24
        return f"{hours} h ({days} day{'s' if days != 1 else ''})"
    return f"{hours} h"


@register.filter
def link_target(url: str) -> str:
    """The URL if it is a local path or http(s); anything else (javascript:, data:) gives ""."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.startswith(("https://", "http://")):
        return url
    return ""


@register.simple_tag(takes_context=True)
def nav_current(context: template.Context, url_name: str | None) -> bool:
    """Whether the page being shown belongs to this navigation entry."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if not url_name or match is None:
        return False
    return bool(match.namespace) and match.namespace == url_name.split(":")[0]


@register.filter
def change_pairs(changes: Any) -> list[tuple[str, Any, Any]]:
    """Timeline changes {field: [before, after]} as (field, before, after) rows."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for field, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((field.replace("_", " "), pair[0], pair[1]))
    return rows


@register.inclusion_tag("opsdesk/partials/timeline.html", takes_context=True)
def timeline(context: template.Context, entries: Any) -> dict[str, Any]:
    """The timeline block of an object page."""
    return {"entries": entries, "request": context.get("request")}


@register.inclusion_tag("opsdesk/partials/pagination.html", takes_context=True)
def pagination(context: template.Context, page: Any) -> dict[str, Any]:
    """Previous/next links that keep the current filters."""
    return {"page": page, "request": context.get("request")}
