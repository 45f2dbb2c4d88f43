"""On-site execution: check-in and check-out (with the category's completion checklist and a report
the client sees), then verification and closing. Every move goes through
transitions.transition_work_order (all re-exported from services).

Decisions:
- Check-in and check-out are done by the assigned engineer's user; a dispatcher (workorders.dispatch)
  may record them on the engineer's behalf (an engineer without a login, a phone call from site).
- Check-in from 'dispatched' passes through 'en route' (both recorded on the timeline).
- Check-out needs every checklist item of the category's policy ticked; an item not done means the
  work is not complete (put it on hold instead). The engineer may say it was not a first-time fix.
- check_in returns the work order; the site's method statement and local standards for display come
  from queries.check_in_briefing (the API's check-in answer holds both).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opsdesk.core import clock, timeline
from opsdesk.core.errors import Conflict, PermissionDenied, field_error
from opsdesk.core.models import Activity

from .models import CategoryPolicy, WorkOrder
from .transitions import transition_work_order


def _on_behalf(wo: WorkOrder, actor: Any) -> None:
    if wo.engineer_id is None:
        raise Conflict(f"WO-{wo.pk} has no engineer assigned; dispatch assigns one first.")
    own = wo.engineer is not None and wo.engineer.user_id is not None and wo.engineer.user_id == actor.pk
    if not own and not actor.has_perm_code("workorders.dispatch"):
        raise PermissionDenied(f"Only the assigned engineer ({wo.engineer.name if wo.engineer else '-'}) or dispatch can do this.")


def _locked(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("engineer", "site").get(pk=wo.pk)


@transaction.atomic
def check_in(wo: WorkOrder, *, actor: Any) -> WorkOrder:
    """The engineer arrives: record the time and move the work on site."""
    wo = _locked(wo)
    _on_behalf(wo, actor)
    if wo.state not in ("dispatched", "en_route"):
        raise Conflict(f"Check-in is for dispatched or en-route work; WO-{wo.pk} is {wo.state.replace('_', ' ')}.")
    now = clock.now()
    if wo.state == "dispatched":
        wo = transition_work_order(wo, "en_route", actor=actor, reason="engineer checking in")
    WorkOrder.objects.filter(pk=wo.pk).update(checked_in_at=now)
    wo = transition_work_order(wo, "on_site", actor=actor, reason=f"checked in at {wo.site.code}")
    wo.checked_in_at = now
    return wo


def checklist_of(category: str) -> list[str]:
    """The completion checklist of a category (empty without a policy)."""
    policy = CategoryPolicy.objects.filter(category=category).first()
    return [str(item) for item in (policy.checklist if policy else [])]


def _check_answers(category: str, checklist: dict[str, Any]) -> dict[str, bool]:
    items = checklist_of(category)
    unknown = [k for k in checklist if k not in items]
    if unknown:
        raise field_error("checklist", f"not on the {category} checklist: {'; '.join(unknown)}")
    not_done = [item for item in items if checklist.get(item) is not True]
    if not_done:
        raise field_error(
            "checklist", f"not done: {'; '.join(not_done)}. Finish every item, or put the work on hold with the reason."
        )
    return {item: True for item in items}


@transaction.atomic
def check_out(
    wo: WorkOrder, *, report: str, checklist: dict[str, Any], actor: Any, first_time_fix: bool | None = None
) -> WorkOrder:
    """The engineer leaves: the checklist and the completion report (client-visible); the work is completed."""
    wo = _locked(wo)
    _on_behalf(wo, actor)
    if wo.state != "on_site":
        raise Conflict(f"Check-out is for work on site; WO-{wo.pk} is {wo.state.replace('_', ' ')}. Check in first.")
    if not (report or "").strip():
        raise field_error("report", "write the completion report: what was done, for the client")
    answers = _check_answers(wo.category, checklist or {})
    fields: dict[str, Any] = {"checked_out_at": clock.now(), "completion_report": report.strip(), "checklist": answers}
    if first_time_fix is not None:
        fields["first_time_fix"] = first_time_fix and not wo.rework.exists()
    WorkOrder.objects.filter(pk=wo.pk).update(**fields)
    timeline.record(
        wo, "completion_report", actor=actor, summary=report.strip()[:1000],
        changes={"checklist": answers, "first_time_fix": fields.get("first_time_fix")},
        visibility=Activity.Visibility.CLIENT,
    )
    return transition_work_order(wo, "completed", actor=actor, reason="checked out")


def verify(wo: WorkOrder, *, actor: Any, reason: str = "") -> WorkOrder:
    """The service desk (or the client's confirmation) verifies completed work."""
    return transition_work_order(wo, "verified", actor=actor, reason=reason or "work verified")


def close(wo: WorkOrder, *, actor: Any, reason: str = "") -> WorkOrder:
    """Close verified work."""
    return transition_work_order(wo, "closed", actor=actor, reason=reason or "closed")
