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
- Each check-in opens a Visit. Outside the window widened by the category's tolerance
  (CategoryPolicy.check_in_early/late_minutes, rules.DEFAULT_* without a policy) it needs a reason,
  recorded on the visit and the timeline; without one it is refused (422 naming the window and the
  tolerance in the site's time). A device location is optional; its distance from the site is
  recorded and flagged beyond CategoryPolicy.check_in_radius_m.
- A visit that could not complete is checked out with a reason from rules.FAILURE_REASONS ('other'
  needs a note); the work goes on hold with that reason, to be planned again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, timeline
from opsdesk.core.errors import Conflict, PermissionDenied, field_error
from opsdesk.core.models import Activity

from . import rules
from .models import CategoryPolicy, Visit, WorkOrder
from .transitions import transition_work_order


def _on_behalf(wo: WorkOrder, actor: User) -> None:
    if wo.engineer_id is None:
        raise Conflict(f"WO-{wo.pk} has no engineer assigned; dispatch assigns one first.")
    own = wo.engineer is not None and wo.engineer.user_id is not None and wo.engineer.user_id == actor.pk
    if not own and not actor.has_perm_code("workorders.dispatch"):
        raise PermissionDenied(f"Only the assigned engineer ({wo.engineer.name if wo.engineer else '-'}) or dispatch can do this.")


def _locked(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("engineer", "site").get(pk=wo.pk)


def policy_of(category: str) -> rules.CheckInPolicy:
    """The category's check-in tolerance and distance flag (the defaults without a policy)."""
    row = CategoryPolicy.objects.filter(category=category).values_list(
        "check_in_early_minutes", "check_in_late_minutes", "check_in_radius_m"
    ).first()
    return rules.CheckInPolicy(*row) if row else rules.CheckInPolicy()


def _raise_on(problem: tuple[str, str] | None) -> None:
    if problem is not None:
        raise field_error(*problem)


def _check_in_summary(wo: WorkOrder, visit: Visit) -> str:
    parts = [f"Checked in at {wo.site.code}"]
    if visit.minutes_early or visit.minutes_late:
        side = f"{visit.minutes_early} min before" if visit.minutes_early else f"{visit.minutes_late} min after"
        parts.append(f"outside the window ({side} the tolerance); reason: {visit.outside_window_reason}")
    if visit.distance_m is not None:
        far = f", beyond {visit.radius_m} m" if visit.far_from_site else ""
        parts.append(f"device {visit.distance_m:.0f} m from the site{far}")
    return "; ".join(parts)


@transaction.atomic
def check_in(
    wo: WorkOrder, *, actor: User, reason: str = "", latitude: float | None = None,
    longitude: float | None = None, accuracy_m: float | None = None,
) -> WorkOrder:
    """The engineer arrives: check the window and the place, record the visit, move the work on site."""
    wo = _locked(wo)
    _on_behalf(wo, actor)
    if wo.state not in ("dispatched", "en_route"):
        raise Conflict(f"Check-in is for dispatched or en-route work; WO-{wo.pk} is {wo.state.replace('_', ' ')}.")
    _raise_on(rules.location_problem(latitude, longitude, accuracy_m))
    now, policy, reason = clock.now(), policy_of(wo.category), (reason or "").strip()
    window = rules.check_window(now, wo.window_start, wo.window_end, policy)
    if window.outside and not reason:
        assert wo.window_start is not None and wo.window_end is not None
        raise field_error("reason", rules.window_refusal(now, wo.window_start, wo.window_end, policy, wo.site.time_zone))
    device = (latitude, longitude) if latitude is not None and longitude is not None else None
    distance, far = rules.check_distance(device, (wo.site.latitude, wo.site.longitude), policy.radius_m)
    if wo.state == "dispatched":
        wo = transition_work_order(wo, "en_route", actor=actor, reason="engineer checking in")
    visit = Visit.objects.create(
        work_order=wo, engineer_id=wo.engineer_id, checked_in_at=now, window_start=wo.window_start,
        window_end=wo.window_end, minutes_early=window.minutes_early, minutes_late=window.minutes_late,
        outside_window_reason=reason if window.outside else "", latitude=latitude, longitude=longitude,
        accuracy_m=accuracy_m, distance_m=distance, radius_m=policy.radius_m, far_from_site=far,
    )
    WorkOrder.objects.filter(pk=wo.pk).update(checked_in_at=now)
    timeline.record(
        wo, "checked_in", actor=actor, summary=_check_in_summary(wo, visit)[:1000],
        changes={"visit": visit.pk, "outside_window_reason": visit.outside_window_reason,
                 "minutes_early": visit.minutes_early, "minutes_late": visit.minutes_late,
                 "distance_m": distance, "far_from_site": far},
    )
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
    wo: WorkOrder, *, report: str, checklist: dict[str, Any], actor: User, first_time_fix: bool | None = None
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
    Visit.objects.filter(work_order=wo, outcome=Visit.Outcome.ON_SITE).update(
        outcome=Visit.Outcome.COMPLETED, checked_out_at=fields["checked_out_at"]
    )
    timeline.record(
        wo, "completion_report", actor=actor, summary=report.strip()[:1000],
        changes={"checklist": answers, "first_time_fix": fields.get("first_time_fix")},
        visibility=Activity.Visibility.CLIENT,
    )
    return transition_work_order(wo, "completed", actor=actor, reason="checked out")


@transaction.atomic
def check_out_not_completed(wo: WorkOrder, *, reason: str, note: str = "", actor: User) -> WorkOrder:
    """The engineer leaves without completing: why (a fixed choice, 'other' with a note); the work goes on hold."""
    wo = _locked(wo)
    _on_behalf(wo, actor)
    if wo.state != "on_site":
        raise Conflict(f"Check-out is for work on site; WO-{wo.pk} is {wo.state.replace('_', ' ')}. Check in first.")
    reason, note = (reason or "").strip(), (note or "").strip()
    _raise_on(rules.failure_problem(reason, note))
    now = clock.now()
    label = str(Visit.FailureReason(reason).label)
    WorkOrder.objects.filter(pk=wo.pk).update(checked_out_at=now)
    Visit.objects.filter(work_order=wo, outcome=Visit.Outcome.ON_SITE).update(
        outcome=Visit.Outcome.NOT_COMPLETED, checked_out_at=now, failure_reason=reason, failure_note=note
    )
    # The note stays internal; the client-visible transition names the reason only.
    text = f"Visit not completed: {label}"
    timeline.record(
        wo, "visit_failed", actor=actor, summary=(text + (f" ({note})" if note else ""))[:1000],
        changes={"failure_reason": reason, "failure_note": note},
    )
    return transition_work_order(wo, "on_hold", actor=actor, reason=text)


def verify(wo: WorkOrder, *, actor: User, reason: str = "") -> WorkOrder:
    """The service desk (or the client's confirmation) verifies completed work."""
    return transition_work_order(wo, "verified", actor=actor, reason=reason or "work verified")


def close(wo: WorkOrder, *, actor: User, reason: str = "") -> WorkOrder:
    """Close verified work."""
    return transition_work_order(wo, "closed", actor=actor, reason=reason or "closed")
