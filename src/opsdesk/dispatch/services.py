"""Dispatch use cases: propose a region's day, adjust it, accept it (schedule, dispatch, hand over).

Every plan is checked by checker.check against the day as it is now before it is stored,
adjusted or accepted; a plan with violations is never accepted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, timeline
from opsdesk.core.errors import Conflict, PermissionDenied, field_error
from opsdesk.workorders import eligibility
from opsdesk.workorders import services as wo_services
from opsdesk.workorders.models import WorkOrder

from . import checker, insertion, queries, solver
from .explain import reasons_for
from .models import Plan, PlanStop
from .problem import Problem, Route, Solution, Stop
from .timing import force_route, schedule_route

MAX_SECONDS = 120.0


def can_dispatch(user: Any) -> bool:
    """Whether the user may plan, adjust and accept plans (the dispatcher's permission)."""
    return bool(getattr(user, "has_perm_code", lambda _c: False)("workorders.dispatch"))


def _require(actor: User) -> None:
    if not can_dispatch(actor):
        raise PermissionDenied("Planning and dispatching work needs the dispatcher's permission.")


def default_seconds() -> float:
    """How long a plan may search (settings.OPSDESK_DISPATCH_SECONDS)."""
    return float(getattr(settings, "OPSDESK_DISPATCH_SECONDS", 5.0))


def propose_plan(region: Any, day: dt.date, *, actor: User, seconds: float | None = None, fresh: bool = False) -> Plan:
    """Build and store a proposed plan of the region's day.

    With an accepted plan for the day (and not `fresh`) it is a re-plan: the accepted routes
    stay wherever they still hold, dispatched and in-progress visits are fixed, and new or
    displaced work goes where it adds least travel; `moved` says what changed. Otherwise the
    solver plans the day from scratch (fixed visits still fixed).
    """
    _require(actor)
    if seconds is not None and not (0 < seconds <= MAX_SECONDS):
        raise field_error("seconds", f"between 0 and {MAX_SECONDS:g}")
    region = queries.get_region(region)
    loaded = queries.load_day(region, day)
    problem = loaded.problem
    if loaded.previous is not None and not fresh:
        solution = insertion.replan(problem, loaded.sequences)
    else:
        solution = solver.solve(problem, seconds or default_seconds())
    with transaction.atomic():
        plan = Plan(region=region, day=day, based_on=loaded.previous, origin_at=problem.origin, created_by=actor)
        _store(plan, loaded, solution)
        if loaded.previous is not None:
            plan.moved = _moved(loaded, solution)
            plan.save(update_fields=["moved"])
        timeline.record(plan, "proposed", actor=actor, summary=f"Plan proposed for {plan.region.code} on {day:%Y-%m-%d}",
                        changes={"state": [None, plan.state]})
    return plan


def _unassigned(loaded: queries.Day, solution: Solution) -> list[dict[str, Any]]:
    out = []
    for job_id, reason in sorted(solution.unassigned.items()):
        why = loaded.reasons_nobody.get(job_id)
        out.append({"work_order": job_id, "reason": f"{reason}: {why}" if why else reason})
    out += [{"work_order": wo_id, "reason": reason} for wo_id, reason in sorted(loaded.left_out.items())]
    return out


def _describe(plan: Plan, loaded: queries.Day, solution: Solution, violations: list[checker.Violation]) -> list[PlanStop]:
    """Set the plan's figures, verdict and engineers' days from `solution`; its stops, unsaved."""
    problem = loaded.problem
    plan.solver, plan.solve_seconds = solution.solver, round(solution.seconds, 3)
    plan.travel_minutes = round(solution.travel / 60)
    plan.unassigned = _unassigned(loaded, solution)
    plan.violations = [v.as_dict() for v in violations]
    plan.engineers = [
        {
            "engineer": r.engineer_id, "name": problem.engineer_by_id[r.engineer_id].name,
            "departure": problem.at(r.departure).isoformat(), "back": problem.at(r.back_at).isoformat(),
            "return_travel_seconds": r.return_travel,
            "available": [[problem.at(a).isoformat(), problem.at(b).isoformat()] for a, b in problem.engineer_by_id[r.engineer_id].available],
        }
        for r in solution.routes if r.engineer_id in problem.engineer_by_id
    ]
    return [
        PlanStop(
            plan=plan, engineer_id=r.engineer_id, work_order_id=s.job_id, position=i,
            arrival_at=problem.at(s.arrival), start_at=problem.at(s.start), finish_at=problem.at(s.finish),
            travel_seconds=s.travel, fixed=s.fixed,
        )
        for r in solution.routes for i, s in enumerate(r.stops)
    ]


def _store(plan: Plan, loaded: queries.Day, solution: Solution, violations: list[checker.Violation] | None = None) -> None:
    """Save the plan's figures, verdict (checked here unless given) and stops (replacing any it had)."""
    if violations is None:
        violations = checker.check(loaded.problem, solution)
    stops = _describe(plan, loaded, solution, violations)
    plan.save()
    PlanStop.objects.filter(plan=plan).delete()
    PlanStop.objects.bulk_create(stops)


def _moved(loaded: queries.Day, solution: Solution) -> list[dict[str, Any]]:
    """What a re-plan changed against the accepted plan: work given to another engineer, retimed, or dropped."""
    assert loaded.previous is not None
    before = {s.work_order_id: s for s in loaded.previous.stops.all()}
    after = solution.assigned()
    problem = loaded.problem
    out = []
    for wo_id, old in sorted(before.items()):
        new = after.get(wo_id)
        if new is None:
            out.append({"work_order": wo_id, "change": "unassigned", "from_engineer": old.engineer_id, "to_engineer": None,
                        "from_start": old.start_at.isoformat(), "to_start": None})
            continue
        engineer_id, stop = new
        start = problem.at(stop.start)
        if engineer_id != old.engineer_id or start != old.start_at:
            out.append({
                "work_order": wo_id, "change": "engineer" if engineer_id != old.engineer_id else "time",
                "from_engineer": old.engineer_id, "to_engineer": engineer_id,
                "from_start": old.start_at.isoformat(), "to_start": start.isoformat(),
            })
    for wo_id in sorted(set(after) - set(before)):
        engineer_id, stop = after[wo_id]
        out.append({"work_order": wo_id, "change": "added", "from_engineer": None, "to_engineer": engineer_id,
                    "from_start": None, "to_start": problem.at(stop.start).isoformat()})
    return out


def solution_of(plan: Plan, problem: Problem) -> Solution:
    """A stored plan as a Solution in `problem`'s time base (to check it again or change it)."""
    meta = {e["engineer"]: e for e in plan.engineers}
    routes: dict[int, list[PlanStop]] = {}
    for row in plan.stops.order_by("engineer_id", "position"):
        routes.setdefault(row.engineer_id, []).append(row)
    out = []
    for engineer_id, rows in routes.items():
        stops = tuple(
            Stop(r.work_order_id, problem.seconds(r.arrival_at), problem.seconds(r.start_at), problem.seconds(r.finish_at),
                 r.travel_seconds, r.fixed)
            for r in rows
        )
        m = meta.get(engineer_id)
        if m is None:
            out.append(Route(engineer_id, stops, stops[0].arrival - stops[0].travel, 0, stops[-1].finish))
            continue
        out.append(Route(
            engineer_id, stops, problem.seconds(dt.datetime.fromisoformat(m["departure"])), m["return_travel_seconds"],
            problem.seconds(dt.datetime.fromisoformat(m["back"])),
        ))
    out += [Route(m["engineer"], ()) for m in plan.engineers if m["engineer"] not in routes]
    unassigned = {u["work_order"]: u["reason"] for u in plan.unassigned}
    return Solution(tuple(out), unassigned, solver=plan.solver)


def _refusal(template: str, violations: list[checker.Violation]) -> Conflict:
    """409 naming the first violations in the detail and every one in `errors`."""
    return Conflict(
        template.format("; ".join(v.detail for v in violations[:5])),
        errors=[{"field": "plan", "message": v.detail, "kind": v.kind, "work_order": v.job_id, "engineer": v.engineer_id}
                for v in violations],
    )


def _day_of(plan: Plan) -> queries.Day:
    """The plan's region and day as they are now, in the plan's time base."""
    loaded = queries.load_day(plan.region, plan.day)
    if loaded.problem.origin != plan.origin_at:
        raise Conflict("The plan was made in another time base; build a new plan.")
    return loaded


def move_stop(
    plan: Plan, work_order_id: int, engineer_id: int | None, *, position: int | None = None, dry_run: bool = False, actor: User,
) -> tuple[Plan, list[checker.Violation]]:
    """Give a work order to an engineer (at `position` in their route, or where it adds least travel),
    or take it out of the plan (engineer None); answer the plan as it would be and the checker's verdict.

    With `dry_run` nothing is saved (the board shows the verdict while dragging). Otherwise a
    move the checker refuses is refused (409, nothing changed)."""
    _require(actor)
    if plan.state != Plan.State.PROPOSED:
        raise Conflict(f"Plan {plan.pk} is {plan.state}; only a proposed plan can be adjusted. Build a new plan to change the day.")
    loaded = _day_of(plan)
    problem = loaded.problem
    if work_order_id not in problem.job_by_id:
        fixed = any(f.job_id == work_order_id for f in problem.fixed)
        why = "is dispatched or in progress and stays where it is" if fixed else "is not work this plan can place"
        raise field_error("work_order", f"WO-{work_order_id} {why}")
    if engineer_id is not None and engineer_id not in problem.engineer_by_id:
        raise field_error("engineer", f"engineer {engineer_id} does not work in {plan.region.code} that day (or has no home base)")
    current = solution_of(plan, problem)
    sequences = {r.engineer_id: [s.job_id for s in r.stops if s.job_id != work_order_id] for r in current.routes}
    routes = {r.engineer_id: r for r in current.routes}
    for eid, seq in sequences.items():
        if len(seq) != len(routes[eid].stops):
            routes[eid] = schedule_route(problem, eid, seq) or force_route(problem, eid, seq)
    if engineer_id is not None:
        seq = sequences.get(engineer_id, [])
        if position is None:
            best = insertion.best_insertion(problem, routes, work_order_id, among=[engineer_id])
            routes[engineer_id] = best or force_route(problem, engineer_id, [*seq, work_order_id])
        else:
            at = max(0, min(position, len(seq)))
            wanted = [*seq[:at], work_order_id, *seq[at:]]
            routes[engineer_id] = schedule_route(problem, engineer_id, wanted) or force_route(problem, engineer_id, wanted)
    placed = {s.job_id for r in routes.values() for s in r.stops}
    unassigned = reasons_for(problem, {j.id for j in problem.jobs} - placed)
    if engineer_id is None:
        unassigned[work_order_id] = "taken out of the plan by the dispatcher"
    solution = Solution(tuple(routes[e] for e in sorted(routes)), unassigned, solver="adjusted", seconds=plan.solve_seconds)
    violations = checker.check(problem, solution)
    if dry_run:
        return _preview(plan, loaded, solution, violations), violations
    if violations:
        raise _refusal("The checker refuses this move: {}.", violations)
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.state != Plan.State.PROPOSED:
            raise Conflict(f"Plan {plan.pk} is {plan.state}; only a proposed plan can be adjusted.")
        _store(plan, loaded, solution, violations)
    return plan, violations


def _preview(plan: Plan, loaded: queries.Day, solution: Solution, violations: list[checker.Violation]) -> Plan:
    """An unsaved copy of the plan as `solution` would make it (its stops in `preview_stops`)."""
    preview = Plan(pk=plan.pk, region=plan.region, day=plan.day, state=plan.state, origin_at=plan.origin_at)
    preview.preview_stops = _describe(preview, loaded, solution, violations)  # type: ignore[attr-defined]
    return preview


def _visit_words(wo: WorkOrder, stop: PlanStop) -> str:
    tz = wo.site.time_zone
    a, b = stop.start_at.astimezone(eligibility.zone(tz)), stop.finish_at.astimezone(eligibility.zone(tz))
    return f"{a:%a} {a.day} {a:%b %H:%M}–{b:%H:%M} {tz} at {wo.site.code}"


def accept_plan(plan: Plan, *, actor: User) -> Plan:
    """Accept a proposed plan: checked again against the day as it is now, then each visit is
    assigned, scheduled and dispatched, and handed to its engineer (an acknowledged handoff, on
    the timeline); work the plan no longer holds goes back to ready; the plan it replaces is superseded."""
    _require(actor)
    if plan.state != Plan.State.PROPOSED:
        raise Conflict(f"Plan {plan.pk} is {plan.state}; only a proposed plan can be accepted.")
    loaded = _day_of(plan)
    violations = checker.check(loaded.problem, solution_of(plan, loaded.problem))
    if violations:
        raise _refusal(f"Plan {plan.pk} no longer holds: {{}}. Build a new plan.", violations)
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.state != Plan.State.PROPOSED:
            raise Conflict(f"Plan {plan.pk} is {plan.state}; only a proposed plan can be accepted.")
        previous = Plan.objects.select_for_update().filter(region=plan.region, day=plan.day, state=Plan.State.ACCEPTED).first()
        if previous is not None:
            previous.state = Plan.State.SUPERSEDED
            previous.save(update_fields=["state"])
            timeline.record(previous, "superseded", actor=actor, summary=f"Superseded by plan {plan.pk}",
                            changes={"state": [Plan.State.ACCEPTED, Plan.State.SUPERSEDED]})
        stops = list(plan.stops.select_related("engineer", "engineer__user", "work_order", "work_order__site"))
        for stop in stops:
            if not stop.fixed:
                _dispatch(plan, stop, actor)
        kept = {s.work_order_id for s in stops}
        if previous is not None:
            for old in previous.stops.select_related("work_order").exclude(work_order_id__in=kept):
                _release(plan, old.work_order, actor)
        plan.state, plan.accepted_by, plan.accepted_at = Plan.State.ACCEPTED, actor, clock.now()
        plan.save(update_fields=["state", "accepted_by", "accepted_at"])
        timeline.record(plan, "accepted", actor=actor, summary=f"Plan accepted: {len(stops)} visit(s) dispatched",
                        changes={"state": [Plan.State.PROPOSED, Plan.State.ACCEPTED]})
    return plan


def _dispatch(plan: Plan, stop: PlanStop, actor: User) -> None:
    """One visit of an accepted plan: engineer assigned, scheduled, dispatched, handed over."""
    wo = WorkOrder.objects.select_related("site", "owner").get(pk=stop.work_order_id)
    when = _visit_words(wo, stop)
    if wo.engineer_id != stop.engineer_id:
        wo = wo_services.assign(wo, stop.engineer, actor=actor)
    if wo.state == "readiness":
        wo = _clear_planning_blockers(wo, plan, when, actor)
    # Clients read this entry too (principle 5): when the visit is, and who comes.
    timeline.record(wo, "planned", actor=actor, summary=f"Visit planned: {when}, engineer {stop.engineer.name}",
                    changes={"plan": plan.pk, "engineer": stop.engineer_id, "start": stop.start_at.isoformat(),
                             "finish": stop.finish_at.isoformat()}, visibility=wo_services.CLIENT)
    for to in _path_to_dispatched(wo.state):
        wo = wo_services.transition_work_order(wo, to, actor=actor)
    user = stop.engineer.user if stop.engineer.user_id else None
    if user is not None and user.is_active and wo.owner_id != user.pk:
        wo_services.hand_off(
            wo, to_user=user, actor=actor, done_so_far=f"Ready and dispatched by plan {plan.pk}.",
            next_step=f"Visit {when}; arrive by {stop.arrival_at.astimezone(eligibility.zone(wo.site.time_zone)):%H:%M}.",
        )


def _path_to_dispatched(state: str) -> list[str]:
    return {"readiness": ["ready", "scheduled", "dispatched"], "ready": ["scheduled", "dispatched"],
            "scheduled": ["dispatched"]}.get(state, [])


def _clear_planning_blockers(wo: WorkOrder, plan: Plan, when: str, actor: User) -> WorkOrder:
    """The permitted-hours blockers a planned visit inside the permitted hours clears (overridden with the plan as the reason)."""
    wo = wo_services.refresh_readiness(wo, actor=actor)
    for b in (wo.readiness or {}).get("blockers", []):
        if not b.get("overridden") and b.get("kind") == "permitted_hours":
            wo_services.override_blocker(wo, b["key"], reason=f"dispatch plan {plan.pk} visits {when}, inside the permitted hours", actor=actor)
    wo.refresh_from_db()
    return wo


def _release(plan: Plan, wo: WorkOrder, actor: User) -> None:
    """Work an accepted plan had and the new one does not: back to ready, without an engineer."""
    if wo.state not in ("scheduled", "dispatched"):
        return
    if wo.state == "dispatched":
        wo = wo_services.transition_work_order(wo, "scheduled", actor=actor, reason=f"not in dispatch plan {plan.pk}")
    wo = wo_services.transition_work_order(wo, "ready", actor=actor, reason=f"not in dispatch plan {plan.pk}")
    wo_services.assign(wo, None, actor=actor)
