"""The fallback solver and the benchmark's comparison: the same model in OR-Tools routing.

- One vehicle per engineer, starting and ending at their home node; arc cost is travel seconds
  (`problem.travel.matrix` over every place).
- A "Time" dimension: transit = service at the node left + travel, slack = waiting. Times are
  shifted so the earliest one of the problem is 0 (cumul variables are non-negative).
- A job's start lies in [lo, hi - duration] of one of its allowed intervals (the gaps are removed
  from its cumul variable's domain); jobs are optional (a disjunction at the job's value).
- Eligibility: the job's vehicle variable takes values in {-1 (not performed), eligible
  engineers}. (`SetAllowedVehiclesForIndex` is broken in the 9.15 Python wrapper.)
- Availability: the engineer's start and end lie in [first available start, last available end];
  a job's start is kept out of the range that would make its visit overlap a gap between the
  engineer's available intervals (removed from the domain when all its eligible engineers share
  the gap, else a constraint conditional on the vehicle), so every visit lies inside one
  available interval and travel may cross a gap. (OR-Tools vehicle breaks would forbid driving
  through them.)
- Fixed stops are mandatory nodes bound to their engineer at their start.
- Search: guided local search from a given plan (by default the greedy one, greedy.py), which
  the model must accept, else from the fixed stops alone. (PATH_CHEAPEST_ARC, and the
  insertion heuristics, found no first solution with mandatory fixed stops or with the
  conditional gap constraints.)

The routes found are re-timed by timing.schedule_route (earliest start, the rule every solver
shares); jobs left out get explain.reasons_for's reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .greedy import solve_greedy
from .insertion import retimed_solution
from .problem import Interval, Point, Problem, Solution


def _start_domain(allowed: Sequence[Interval], duration: int) -> list[Interval]:
    """The starts [lo, hi - duration] of the allowed intervals that can hold the visit, merged."""
    spans = sorted((lo, hi - duration) for lo, hi in allowed if hi - lo >= duration)
    merged: list[Interval] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def solve_ortools(problem: Problem, seconds: float, *, start: Solution | None = None) -> Solution:
    """A plan within `seconds` of guided local search from `start` (default: the greedy plan)."""
    began = time.perf_counter()
    engineers = [e for e in problem.engineers if e.available]
    fixed_ids = {f.job_id for f in problem.fixed}
    jobs = [j for j in problem.jobs if j.id not in fixed_ids and j.eligible and j.allowed]
    jobs = [j for j in jobs if _start_domain(j.allowed, j.duration)]
    vehicle_of = {e.id: v for v, e in enumerate(engineers)}
    jobs = [j for j in jobs if any(e in vehicle_of for e in j.eligible)]
    fixed = [f for f in problem.fixed if f.engineer_id in vehicle_of]

    # Nodes: homes (one per vehicle), then jobs, then fixed stops.
    n_eng = len(engineers)
    node_place: list[Point] = [e.home for e in engineers]
    node_place += [j.place for j in jobs]
    node_place += [f.place for f in fixed]
    service = [0] * n_eng + [j.duration for j in jobs] + [f.finish - f.start for f in fixed]
    node_job = [0] * n_eng + [j.id for j in jobs] + [f.job_id for f in fixed]
    if not jobs and not fixed:
        return retimed_solution(problem, {}, began, "ortools")

    places: dict[Point, int] = {}
    for p in node_place:
        places.setdefault(p, len(places))
    at = np.array([places[p] for p in node_place], dtype=np.int64)
    by_node = problem.travel.matrix(list(places))[np.ix_(at, at)]
    travel: list[list[int]] = by_node.tolist()
    transit: list[list[int]] = (by_node + np.array(service, dtype=np.int64)[:, None]).tolist()

    times = [t for e in engineers for iv in e.available for t in iv]
    times += [t for j in jobs for iv in j.allowed for t in iv]
    times += [t for f in fixed for t in (f.start, f.finish)]
    base = min(times) - 24 * 3600  # room for in-progress fixed stops begun before the day
    horizon = max(times) - base + 24 * 3600

    homes = list(range(n_eng))
    manager = pywrapcp.RoutingIndexManager(len(node_place), n_eng, homes, homes)
    routing = pywrapcp.RoutingModel(manager)
    node: Callable[[int], int] = manager.IndexToNode

    def travel_cb(a: int, b: int) -> int:
        return travel[node(a)][node(b)]

    def transit_cb(a: int, b: int) -> int:
        return transit[node(a)][node(b)]

    travel_index = routing.RegisterTransitCallback(travel_cb)
    transit_index = routing.RegisterTransitCallback(transit_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(travel_index)
    routing.AddDimension(transit_index, horizon, horizon, False, "Time")
    dim = routing.GetDimensionOrDie("Time")
    solver = routing.solver()

    for k, job in enumerate(jobs):
        index = manager.NodeToIndex(n_eng + k)
        domain = _start_domain(job.allowed, job.duration)
        cumul = dim.CumulVar(index)
        cumul.SetRange(domain[0][0] - base, domain[-1][1] - base)
        for (_, hi), (lo, _) in pairwise(domain):
            cumul.RemoveInterval(hi + 1 - base, lo - 1 - base)
        routing.AddDisjunction([index], int(job.value))
        routing.VehicleVar(index).SetValues([-1, *sorted(vehicle_of[e] for e in job.eligible if e in vehicle_of)])

    for k, stop in enumerate(fixed):
        index = manager.NodeToIndex(n_eng + len(jobs) + k)
        routing.VehicleVar(index).SetValue(vehicle_of[stop.engineer_id])
        dim.CumulVar(index).SetValue(stop.start - base)

    # Gaps in availability: a visit by the engineer may not overlap one (travel may). A job's
    # start is kept out of [gap start - duration + 1, gap end - 1] when its vehicle has the gap:
    # removed from its domain if every eligible engineer has it, else a conditional constraint.
    having: dict[Interval, set[int]] = {}
    for v, eng in enumerate(engineers):
        for (_, hi), (lo, _) in pairwise(eng.available):
            if lo > hi:
                having.setdefault((hi, lo), set()).add(v)
    for k, job in enumerate(jobs):
        if not having:
            break
        index = manager.NodeToIndex(n_eng + k)
        cumul = dim.CumulVar(index)
        vehicles = {vehicle_of[e] for e in job.eligible if e in vehicle_of}
        for (g0, g1), with_gap in having.items():
            hit = vehicles & with_gap
            lo, hi = g0 - job.duration + 1 - base, g1 - 1 - base
            if not hit or hi < cumul.Min() or lo > cumul.Max():
                continue
            if hit == vehicles and (cumul.Min() < lo or cumul.Max() > hi):
                cumul.RemoveInterval(lo, hi)
                continue
            on = solver.IsMemberVar(routing.VehicleVar(index), sorted(hit))
            inside = solver.IsBetweenVar(cumul, lo, hi)
            solver.Add(on + inside <= 1)

    own_fixed = problem.fixed_by_engineer
    for v, eng in enumerate(engineers):
        first, last = eng.available[0][0], eng.available[-1][1]
        mine = [f for f in own_fixed.get(eng.id, ()) if f.engineer_id in vehicle_of]
        if mine:  # a fixed stop outside the day keeps its times
            first = min(first, mine[0].start - problem.seconds_between(eng.home, mine[0].place))
            last = max(last, mine[-1].finish + problem.seconds_between(mine[-1].place, eng.home))
        dim.CumulVar(routing.Start(v)).SetRange(first - base, last - base)
        dim.CumulVar(routing.End(v)).SetRange(first - base, last - base)
    for v in range(n_eng):
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(v)))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))

    # The search starts from a plan (the given one, else the greedy one, else the fixed stops
    # alone): PATH_CHEAPEST_ARC and the insertion heuristics found no first solution at all
    # with mandatory fixed stops and the availability-gap constraints.
    index_of = {jid: manager.NodeToIndex(n) for n, jid in enumerate(node_job) if n >= n_eng}
    if start is None:
        start = solve_greedy(problem)
    tries = [start, Solution(())]
    assignment = None
    try:
        routing.CloseModelWithParameters(params)
        for plan in tries:
            given = {r.engineer_id: [s.job_id for s in r.stops] for r in plan.routes}
            routes_in = [
                [index_of[j] for j in given.get(eng.id, [f.job_id for f in own_fixed.get(eng.id, ())]) if j in index_of]
                for eng in engineers
            ]
            initial = routing.ReadAssignmentFromRoutes(routes_in, True)
            if initial is not None:
                assignment = routing.SolveFromAssignmentWithParameters(initial, params)
                break
    except Exception:  # an inconsistent model (e.g. fixed stops that cannot all be kept)
        assignment = None
    sequences: dict[int, list[int]] = {}
    if assignment is not None:
        for v, eng in enumerate(engineers):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            seq: list[int] = []
            while not routing.IsEnd(index):
                seq.append(node_job[node(index)])
                index = assignment.Value(routing.NextVar(index))
            sequences[eng.id] = seq
    return retimed_solution(problem, sequences, began, "ortools")
