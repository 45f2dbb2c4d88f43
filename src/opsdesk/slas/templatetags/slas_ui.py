"""SLA badges on list pages (the seam between the lists and slas).

slas sits above workorders and incidents, so their views may not import it; their row templates
`{% load slas_ui %}` instead. `{% sla_clocks page.object_list as clocks %}` computes the clocks of
the page's rows with one batch call (a fixed number of queries per page), then
`{% sla_badge clocks row.pk %}` renders each row's badge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django import template

from opsdesk.incidents.models import Incident
from opsdesk.workorders.models import WorkOrder

from ..badges import TARGET_LABELS, badge
from ..clocks import Sla, clocks_for_incidents, clocks_for_work_orders

register = template.Library()
STATUS_WORDS = {"running": "running", "at_risk": "at risk", "paused": "paused", "met": "met", "breached": "breached",
                "cancelled": "cancelled", "not_started": "not started", "unmeasured": "not measured"}


@register.simple_tag(takes_context=True)
def sla_clocks(context: template.Context, rows: Iterable[Any]) -> dict[int, Sla]:
    """The SLA of each work order or incident of the page, by id (as the viewer sees it). Rows may
    be the objects or tuples led by them (e.g. (work order, checklist))."""
    items = [row[0] if isinstance(row, tuple) else row for row in rows]
    if not items:
        return {}
    if isinstance(items[0], WorkOrder):
        return clocks_for_work_orders(items)
    if isinstance(items[0], Incident):
        request = context.get("request")
        return clocks_for_incidents(items, getattr(request, "user", None) or context.get("user"))
    return {}


@register.inclusion_tag("slas/_badge.html")
def sla_badge(clocks: dict[int, Sla] | None, pk: int) -> dict[str, Any]:
    """The row's SLA badge (nothing when no policy applies or every target is met)."""
    return {"badge": badge((clocks or {}).get(pk))}


@register.filter
def pct(share: float | None) -> str:
    """A share as a percentage in words: 0.9234 -> '92.3 %', 1.0 -> '100 %' (never rounds up to 100)."""
    if share is None:
        return "–"
    value = math.floor(share * 1000 + 1e-9) / 10
    return f"{value:.0f} %" if value == int(value) else f"{value:.1f} %"


@register.inclusion_tag("slas/_clock_panel.html")
def sla_panel(obj: Any, audience: str = "staff") -> dict[str, Any]:
    """An object's SLA clocks with why each one paused: plain words for the client, the blockers' detail for staff."""
    sla = clocks_for_work_orders([obj])[obj.pk] if isinstance(obj, WorkOrder) else None
    targets = list(sla.targets) if sla is not None and sla.policy is not None else []
    return {"sla": sla, "targets": targets, "staff": audience != "client", "labels": TARGET_LABELS,
            "statuses": STATUS_WORDS, "parties": {"client": "client", "third_party": "third party", "state": "state"}}
