"""Change a plan without re-solving it: put one job where it adds least travel, moving nothing
else (urgent break-fix), and re-plan a day from an accepted plan moving as little as possible."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from .explain import reasons_for
from .problem import Problem, Route, Solution
from .timing import schedule_route


def best_insertion(problem: Problem, routes: Mapping[int, Route], job_id: int, among: Iterable[int] | None = None) -> Route | None:
    """The route (of an eligible engineer, of `among` if given) with the job at the position that adds least travel, or None.

    Exact over every eligible engineer and every position; the other visits keep their order
    (their times may shift later within their windows, never their engineer).
    """
    job = problem.job_by_id[job_id]
    best: Route | None = None
    best_cost = 0
    candidates = job.eligible if among is None else job.eligible & set(among)
    for engineer_id in sorted(candidates):
        if engineer_id not in problem.engineer_by_id:
            continue
        current = routes.get(engineer_id) or Route(engineer_id, ())
        seq = [s.job_id for s in current.stops]
        base = current.travel
        for at in range(len(seq) + 1):
            candidate = schedule_route(problem, engineer_id, [*seq[:at], job_id, *seq[at:]])
            if candidate is None:
                continue
            cost = candidate.travel - base
            if best is None or cost < best_cost:
                best, best_cost = candidate, cost
    return best


def insert(problem: Problem, solution: Solution, job_id: int) -> Solution | None:
    """`solution` with `job_id` added at its cheapest feasible place, or None when it fits nowhere."""
    routes = {r.engineer_id: r for r in solution.routes}
    found = best_insertion(problem, routes, job_id)
    if found is None:
        return None
    routes[found.engineer_id] = found
    unassigned = {k: v for k, v in solution.unassigned.items() if k != job_id}
    return replace(solution, routes=tuple(routes[e.id] for e in problem.engineers if e.id in routes), unassigned=unassigned)


def replan(problem: Problem, previous: Mapping[int, Sequence[int]]) -> Solution:
    """A plan that keeps `previous` (engineer -> job ids in order) wherever it still holds.

    Visits of work no longer in the problem are dropped; an engineer's fixed stops are always in
    their route; where a route no longer fits (an absence, a shorter shift) its latest movable
    visits come out until it does. Then every job without a place, most valuable first, goes
    to its cheapest insertion. Nothing that still fits is moved to another engineer.
    """
    began = time.perf_counter()
    known = set(problem.job_by_id) | {f.job_id for f in problem.fixed}
    routes: dict[int, Route] = {}
    for engineer in problem.engineers:
        fixed = problem.fixed_by_engineer.get(engineer.id, [])
        fixed_ids = {f.job_id for f in fixed}
        seq = [j for j in previous.get(engineer.id, ()) if j in known and (j in fixed_ids or j in problem.job_by_id)]
        seq = [j for j in seq if j not in {f.job_id for f in problem.fixed} or j in fixed_ids]
        for f in fixed:
            if f.job_id not in seq:
                seq.append(f.job_id)
        route = _fitting(problem, engineer.id, seq, fixed_ids)
        routes[engineer.id] = route
    placed = {s.job_id for r in routes.values() for s in r.stops}
    waiting = sorted(
        (j for j in problem.jobs if j.id not in placed and j.allowed and j.eligible),
        key=lambda j: (-j.value, j.allowed[0][0], j.id),
    )
    for job in waiting:
        found = best_insertion(problem, routes, job.id)
        if found is not None:
            routes[found.engineer_id] = found
    placed = {s.job_id for r in routes.values() for s in r.stops}
    unassigned = reasons_for(problem, {j.id for j in problem.jobs} - placed)
    return Solution(tuple(routes[e.id] for e in problem.engineers), unassigned, solver="replan", seconds=time.perf_counter() - began)


def _fitting(problem: Problem, engineer_id: int, seq: list[int], fixed_ids: set[int]) -> Route:
    """The route of `seq` in time order of fixed stops, dropping its latest movable visits until it fits."""
    starts = {f.job_id: f.start for f in problem.fixed}
    if fixed_ids:
        # Keep the given order of movable visits, but fixed stops sit where their times say.
        movable = [j for j in seq if j not in fixed_ids]
        seq = _interleave(problem, engineer_id, movable, sorted(fixed_ids, key=lambda j: starts[j]))
    route = schedule_route(problem, engineer_id, seq)
    while route is None:
        movable = [j for j in seq if j not in fixed_ids]
        if not movable:
            return Route(engineer_id, ())
        seq = [j for j in seq if j != movable[-1]]
        route = schedule_route(problem, engineer_id, seq)
    return route


def _interleave(problem: Problem, engineer_id: int, movable: list[int], fixed: list[int]) -> list[int]:
    """Movable visits in order, fixed stops placed before the first movable visit whose window opens after them."""
    starts = {f.job_id: f.start for f in problem.fixed}
    out: list[int] = []
    queue = list(fixed)
    for j in movable:
        job = problem.job_by_id[j]
        while queue and starts[queue[0]] <= job.allowed[0][0]:
            out.append(queue.pop(0))
        out.append(j)
    return out + queue


def retimed_solution(problem: Problem, sequences: Mapping[int, Sequence[int]], began: float, name: str, *,
                     fill: bool = False) -> Solution:
    """A solver's answer (engineer -> job ids in order) as a Solution, timed by the one rule every
    solver shares (timing.schedule_route, earliest start).

    A visit that does not re-time is dropped, latest first (it should not happen: the earliest-start
    schedule is feasible whenever any schedule is); an engineer without a sequence keeps only their
    fixed stops. With `fill`, every job still left out that fits somewhere as it is goes to its
    cheapest insertion, most valuable first (what re-timing or an unfinished search left free).
    """
    routes: dict[int, Route] = {}
    for engineer in problem.engineers:
        fixed_ids = {f.job_id for f in problem.fixed_by_engineer.get(engineer.id, ())}
        seq = list(sequences.get(engineer.id, [f.job_id for f in problem.fixed_by_engineer.get(engineer.id, ())]))
        route = schedule_route(problem, engineer.id, seq)
        while route is None:
            movable = [j for j in seq if j not in fixed_ids]
            if not movable:
                break
            seq = [j for j in seq if j != movable[-1]]
            route = schedule_route(problem, engineer.id, seq)
        routes[engineer.id] = route if route is not None else Route(engineer.id, ())
    if fill:
        placed = {s.job_id for r in routes.values() for s in r.stops}
        waiting = sorted((j for j in problem.jobs if j.id not in placed and j.eligible and j.allowed), key=lambda j: (-j.value, j.id))
        for job in waiting:
            found = best_insertion(problem, routes, job.id)
            if found is not None:
                routes[found.engineer_id] = found
    placed = {s.job_id for r in routes.values() for s in r.stops}
    unassigned = reasons_for(problem, {j.id for j in problem.jobs} - placed)
    return Solution(tuple(routes[e.id] for e in problem.engineers), unassigned, solver=name, seconds=time.perf_counter() - began)
