"""Presentation helpers of the alert pages: status and severity badges, JSON values as text."""

from __future__ import annotations

import json
from typing import Any

from django import template

from opsdesk.core.templatetags.opsdesk_ui import class_filter

register = template.Library()

STATUS_CLASS = {"firing": "danger", "acknowledged": "warn", "resolved": "ok"}
SEVERITY_CLASS = {"critical": "danger", "error": "warn", "warning": "info", "info": "neutral"}

register.filter("status_class", class_filter(STATUS_CLASS))
register.filter("alert_sev_class", class_filter(SEVERITY_CLASS))


@register.filter
def as_text(value: Any) -> str:
    """A JSON value as readable text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def items_sorted(mapping: Any) -> list[tuple[str, Any]]:
    """A mapping's items by key (nothing for anything else)."""
    return sorted(mapping.items(), key=lambda kv: str(kv[0])) if isinstance(mapping, dict) else []
