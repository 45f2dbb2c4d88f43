"""The one transition function of work orders, its readiness gate, and the derived data every
write maintains (blocked, at_risk, next_needed_by, the readiness JSON, the core.schedule 'visit').

`transition_work_order` is the only code that assigns `WorkOrder.state`. Moves into rules.GATED
need readiness: no blocker left open (overridden ones do not count); a refusal is a 409 whose
detail says what is missing, who must act, by when (site time) and which rule says so.
Re-exported by services.py, the entry point of every use case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.channels import services as channels
from opsdesk.core import clock, events, schedule, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.errors import Conflict, field_error
from opsdesk.core.models import Activity

from . import rules, spells
from .eligibility import zone
from .events import WorkOrderChanged
from .models import WorkOrder
from .readiness import queries as readiness_queries
from .readiness.rules import Readiness

CLIENT = Activity.Visibility.CLIENT
REASON_REQUIRED = frozenset({"cancelled", "on_hold", "blocked"})
OWNER_WORDS = {
    "service_desk": "the service desk", "client": "you, the client", "dispatch": "dispatch",
    "site": "the site", "engineer": "the engineer",
}


def _locked(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("site", "owner").get(pk=wo.pk)


# -- derived data ---------------------------------------------------------------------------------


def refresh_readiness(
    wo: WorkOrder, *, actor: Actor | None = None, evaluated: Readiness | None = None
) -> WorkOrder:
    """Recompute and store blocked, at_risk, next_needed_by and the blockers (JSON) of a work order.

    Only work in an open state (rules.OPEN_STATES) is blocked or at risk; drafts and finished work
    are neither. Blocker keys already notified as at risk stay notified while the blocker remains.
    `evaluated`: the work order's readiness already evaluated in this transaction with nothing it
    reads written since (the transition gate's), reused instead of evaluating it again.
    """
    previous = wo.readiness if isinstance(wo.readiness, dict) else {}
    if wo.state in rules.OPEN_STATES:
        result = evaluated if evaluated is not None else readiness_queries.evaluate_work_order(wo)
        data = readiness_queries.as_json(result)
        keys = {b.key for b in result.blockers if not b.overridden}
        data["notified"] = [k for k in previous.get("notified", []) if k in keys]
        blocked, at_risk, next_by = not result.ready, result.at_risk, result.next_needed_by
        open_blockers = [b for b in result.blockers if not b.overridden]
    else:
        data, blocked, at_risk, next_by, open_blockers = dict(previous), False, False, None, []
    if spells.sync_spells(wo, open_blockers, previous):
        events.publish(WorkOrderChanged(wo.pk))  # an SLA clock may pause or resume with a blocker
    was_blocked = wo.blocked
    if (blocked, at_risk, next_by, data) != (wo.blocked, wo.at_risk, wo.next_needed_by, previous):
        WorkOrder.objects.filter(pk=wo.pk).update(blocked=blocked, at_risk=at_risk, next_needed_by=next_by, readiness=data)
        wo.blocked, wo.at_risk, wo.next_needed_by, wo.readiness = blocked, at_risk, next_by, data
    if was_blocked != blocked and wo.state in rules.OPEN_STATES:
        open_n = sum(1 for b in data.get("blockers", []) if not b.get("overridden"))
        timeline.record(
            wo, "readiness_changed", actor=actor,
            summary="Ready: nothing blocks the work" if not blocked else f"Not ready: {open_n} blocker(s) open",
            changes={"blocked": [was_blocked, blocked]},
        )
    return wo


def _sync_schedule(wo: WorkOrder) -> None:
    """A visit occupies core.schedule while the work is scheduled up to on site and has a window."""
    ref = schedule.ref_for(wo)
    if wo.state not in rules.VISIT_STATES or wo.window_start is None or wo.window_end is None:
        schedule.remove(ref)
        return
    who = f" ({wo.engineer.name})" if wo.engineer_id and wo.engineer else ""
    schedule.put(
        ref, kind="visit", label=f"WO-{wo.pk} {wo.title}{who}", start_at=wo.window_start, end_at=wo.window_end,
        state=wo.state, site_ids=[wo.site_id], service_ids=[s.pk for s in wo.services.all()], client_ids=[wo.client_id],
    )


def derive(wo: WorkOrder, actor: Actor, *, evaluated: Readiness | None = None) -> WorkOrder:
    refresh_readiness(wo, actor=actor, evaluated=evaluated)
    _sync_schedule(wo)
    return wo


# -- the one transition function ------------------------------------------------------------------


def _when(at: str | None, time_zone: str) -> str:
    if not at:
        return "no date yet"
    local = dt.datetime.fromisoformat(at).astimezone(zone(time_zone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {time_zone}"


def gate_refusal(wo: WorkOrder, to: str, open_blockers: list[dict[str, Any]]) -> Conflict:
    """The 409 of a refused gate: what is missing, who must act, by when (site time), which rule."""
    lines = [
        f"{b['detail']} Owner: {OWNER_WORDS.get(b['owner'], b['owner'])}; needed by "
        f"{_when(b['needed_by'], wo.site.time_zone)}; rule: {b['rule']}."
        for b in open_blockers
    ]
    detail = (
        f"WO-{wo.pk} cannot move to {to.replace('_', ' ')}: {len(lines)} readiness blocker(s) remain. "
        + " | ".join(lines) + " A dispatcher may override a blocker with a recorded reason."
    )
    errors = [
        {"field": "readiness", "message": b["detail"], "key": b["key"], "kind": b["kind"], "owner": b["owner"],
         "needed_by": b["needed_by"], "rule": b["rule"]}
        for b in open_blockers
    ]
    return Conflict(detail, errors=errors)


def _gate(wo: WorkOrder, to: str) -> Readiness | None:
    """Moves into rules.GATED need readiness: no blocker left open (overridden ones do not count).

    The readiness it evaluated, for derive() to store (None for a move that is not gated).
    """
    if to not in rules.GATED:
        return None
    evaluated = readiness_queries.evaluate_work_order(wo)
    result = readiness_queries.as_json(evaluated)
    open_blockers = [b for b in result["blockers"] if not b["overridden"]]
    if open_blockers:
        raise gate_refusal(wo, to, open_blockers)
    return evaluated


@transaction.atomic
def transition_work_order(wo: WorkOrder, to: str, *, actor: User, reason: str = "") -> WorkOrder:
    """Move a work order to `to`: the machine's table, the readiness gate, the timeline, derived data."""
    wo = _locked(wo)
    before = wo.state
    rules.MACHINE.apply(before, to)
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise field_error("reason", f"say why the work order is {to.replace('_', ' ')}")
    evaluated = _gate(wo, to)
    update = ["state", "updated_at"]
    if to == "completed":
        wo.completed_at = clock.now()
        if wo.first_time_fix is None:
            wo.first_time_fix = not WorkOrder.objects.filter(rework_of=wo).exists()
        update += ["completed_at", "first_time_fix"]
    wo.state = to
    wo.save(update_fields=update)
    summary = f"State {before} → {to}" + (f": {reason}" if reason else "")
    timeline.record(wo, "transitioned", actor=actor, summary=summary, changes={"state": [before, to]}, visibility=CLIENT)
    events.publish(WorkOrderChanged(wo.pk))
    channels.publish_object_event(
        "workorder.state_changed", ref=f"workorder:{wo.pk}", title=str(wo), url=f"/work/{wo.pk}/", summary=summary,
        status=wo.get_state_display(), client_ids=[wo.client_id], client_title=str(wo),
        client_summary=f"Now {wo.get_state_display().lower()}.", client_url=f"/work/portal/{wo.pk}/",
        payload={"state": to, "previous_state": before})
    # Readiness reads the work order's site, category, window, information, change and engineer, its
    # arrangements, parts and overrides, and the people; never its state. After a gated move's gate
    # only the state and the timeline were written, so the gate's evaluation is what a second one
    # would give (a moment later, in this transaction); other moves are evaluated in derive().
    return derive(wo, actor, evaluated=evaluated)
