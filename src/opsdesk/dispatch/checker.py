"""The independent plan checker: a pure function that verifies every hard constraint of any plan.

Used by the tests and by the API before a plan is proposed, adjusted or accepted. It shares no
code with the solvers beyond the data model, so a solver bug cannot hide behind it. Travel is
recomputed from `Problem.travel` for every leg.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, Route, Solution, interval_holding


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, where, and a sentence a dispatcher can act on."""

    kind: str
    detail: str
    job_id: int | None = None
    engineer_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        """For the API and the stored plan."""
        return {"kind": self.kind, "work_order": self.job_id, "engineer": self.engineer_id, "detail": self.detail}


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every hard constraint the plan breaks (an empty list: the plan is sound).

    Checked: engineers and work known, each at most once (and not both routed and unassigned),
    eligibility (skills, certifications, access on the day), the visit inside the work's
    allowed hours (window and site permitted hours) and outside every freeze, inside one of the
    engineer's available intervals (shift less absences), its duration, travel between consecutive places, leaving
    home after the day starts and home again before it ends, and fixed stops kept unchanged.
    """
    out: list[Violation] = []
    seen_engineers: set[int] = set()
    placed: dict[int, int] = {}
    for route in solution.routes:
        if route.engineer_id not in problem.engineer_by_id:
            out.append(Violation("unknown_engineer", f"engineer {route.engineer_id} is not part of this day", None, route.engineer_id))
            continue
        if route.engineer_id in seen_engineers:
            out.append(Violation("duplicate_route", "the engineer has two routes", None, route.engineer_id))
        seen_engineers.add(route.engineer_id)
        for stop in route.stops:
            if stop.job_id in placed:
                out.append(Violation("duplicate", f"WO-{stop.job_id} is planned twice", stop.job_id, route.engineer_id))
            placed[stop.job_id] = route.engineer_id
        out.extend(_route(problem, route))
    for job_id in solution.unassigned:
        if job_id in placed:
            out.append(Violation("duplicate", f"WO-{job_id} is both planned and unassigned", job_id, placed[job_id]))
    for fixed in problem.fixed:
        if placed.get(fixed.job_id) != fixed.engineer_id:
            out.append(Violation("fixed_moved", f"WO-{fixed.job_id} is fixed with engineer {fixed.engineer_id}", fixed.job_id, fixed.engineer_id))
    return out


def _route(problem: Problem, route: Route) -> list[Violation]:
    engineer = problem.engineer_by_id[route.engineer_id]
    eid = route.engineer_id
    out: list[Violation] = []
    fixed = {f.job_id: f for f in problem.fixed_by_engineer.get(eid, ())}
    if not route.stops:
        return out
    if not engineer.available:
        return [Violation("outside_shift", f"{engineer.name} is not available on the day", None, eid)]
    begin, end = engineer.available[0][0], engineer.available[-1][1]
    if route.departure < begin and route.stops[0].job_id not in fixed:
        out.append(Violation("outside_shift", f"{engineer.name} leaves home before their day starts", None, eid))
    place, clock = engineer.home, route.departure
    for stop in route.stops:
        f = fixed.get(stop.job_id)
        job = problem.job_by_id.get(stop.job_id)
        if f is None and job is None:
            out.append(Violation("unknown_job", f"WO-{stop.job_id} is not work of this day", stop.job_id, eid))
            continue
        to = f.place if f is not None else job.place  # type: ignore[union-attr]
        travel = problem.seconds_between(place, to)
        if stop.travel != travel or stop.arrival < clock + travel:
            out.append(Violation("travel", f"WO-{stop.job_id}: reaching it takes {travel // 60} min from the previous place", stop.job_id, eid))
        if stop.start < stop.arrival:
            out.append(Violation("travel", f"WO-{stop.job_id} starts before the engineer arrives", stop.job_id, eid))
        if f is not None:
            if (stop.start, stop.finish) != (f.start, f.finish):
                out.append(Violation("fixed_moved", f"WO-{stop.job_id} is fixed and may not move", stop.job_id, eid))
        else:
            assert job is not None
            out.extend(_visit(problem, route, stop.job_id, stop.start, stop.finish))
        place, clock = to, stop.finish
    back = problem.seconds_between(place, engineer.home)
    if route.return_travel != back or route.back_at < clock + back:
        out.append(Violation("travel", f"{engineer.name}'s way home takes {back // 60} min", None, eid))
    if route.back_at > end and route.stops[-1].job_id not in fixed:
        out.append(Violation("outside_shift", f"{engineer.name} is home only after their day ends", None, eid))
    return out


def _visit(problem: Problem, route: Route, job_id: int, start: int, finish: int) -> list[Violation]:
    job = problem.job_by_id[job_id]
    engineer = problem.engineer_by_id[route.engineer_id]
    eid = route.engineer_id
    out = []
    if eid not in job.eligible:
        out.append(Violation("not_eligible", f"{engineer.name} is not eligible for WO-{job_id}", job_id, eid))
    if finish - start != job.duration:
        out.append(Violation("duration", f"WO-{job_id} needs {job.duration // 60} min", job_id, eid))
    frozen = [(lo, hi, name) for lo, hi, name in job.freezes if lo < finish and start < hi]
    for lo, hi, name in frozen:
        at = f"{problem.at(lo):%d %b %H:%M}–{problem.at(hi):%d %b %H:%M} UTC"
        out.append(Violation("freeze", f"WO-{job_id} falls in the freeze '{name}' ({at})", job_id, eid))
    if not frozen and interval_holding(job.allowed, start, finish) is None:
        out.append(Violation("outside_window", f"WO-{job_id} is outside its window or the site's permitted hours", job_id, eid))
    if interval_holding(engineer.available, start, finish) is None:
        out.append(Violation("outside_shift", f"WO-{job_id} is outside {engineer.name}'s shift or during an absence", job_id, eid))
    return out
