"""The routing solver adapter: a Problem in, a Solution out, through PyVRP.

Why PyVRP (measured on this machine, 2 cores, one core per solve; /work/notes and bench/RESULTS.md):
at 200 jobs / 30 engineers its plans were 10-15 % better than OR-Tools routing for the same time,
at 1,000 / 150 about 2.5x better (216 jobs left out against 286-378), and its first feasible plan
came in 0.03-0.6 s. OR-Tools restricts visits to vehicles natively and has soft windows, but
its search is much weaker at our sizes; it stays as the fallback (ortools_solver.py: a day
whose engineers have so many distinct eligibility sets that PyVRP's matrices would exceed
`MATRIX_BUDGET_BYTES` is planned by it) and as the benchmark's comparison.

How the model says what PyVRP has no word for:

- Eligibility (skills, certifications, site access on the day) is a routing *profile*: a
  travel matrix in which every edge into or out of a place the engineer may not serve costs
  `FORBIDDEN` in both distance and duration, so serving it is time warp, i.e. infeasible.
  PyVRP keeps a dense matrix per profile, so engineers with the same eligibility share one,
  and jobs at one site with the same eligible engineers share one location.
- An engineer's day is cut into segments, each a vehicle: at every fixed stop (the segment
  before ends at its site by its start, the next leaves it after its finish; the fixed stop
  itself is not a client) and at every gap in their availability (lunch, an absence: the
  segment before ends and the next starts "anywhere", a place no travel leads to or from, so
  the drive across the gap happens during it; re-timing checks that it fits).
- A job's allowed hours (window within site permitted hours, less freezes) bound its start to
  [lo, hi - duration]; when they fall in several pieces (a freeze or a gap in the permitted
  hours cuts the window) each piece long enough for the visit is a client with that piece as
  its one time window, and the pieces form a mutually exclusive group: the search picks at most
  one, whichever suits the routes best (not simply the earliest or the widest).
- Every job is optional, its prize its value (priority-weighted, in travel seconds); distance is
  travel seconds, so PyVRP minimises travel plus the value of work left out.

The answer is re-timed by timing.schedule_route (earliest start), the same rule every solver
uses, and must pass checker.check before anyone sees it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria, StoppingCriterion

from .insertion import retimed_solution
from .ortools_solver import solve_ortools
from .problem import FixedStop, Point, Problem, Solution

SEARCH_SHARE = 0.95
# Above this the matrices PyVRP needs (one pair per distinct eligibility set) would not fit
# comfortably in memory (one profile per engineer at 1,000 jobs took 11 GB in our study):
# such a day is planned by OR-Tools, which restricts visits to engineers without copies.
MATRIX_BUDGET_BYTES = 3 * 2**30


class TooManyProfiles(Exception):
    """Too many distinct eligibility sets for PyVRP's per-profile matrices."""
FORBIDDEN = 1 << 40  # below pyvrp's MAX_VALUE (2**44); travel this long is never feasible


# A break in an engineer's day (lunch, an absence) ends one segment and starts the next "wherever
# they are": a place with no travel to or from anywhere. The drive between the last visit before
# the break and the first after it happens during the break; re-timing checks that it fits.
ANYWHERE = None


@dataclass
class _Segment:
    engineer_id: int
    start: Point | None
    end: Point | None
    early: int
    late: int


@dataclass
class _Model:
    data: pyvrp.ProblemData
    client_job: list[int]  # client index -> job id
    parts: dict[int, list[tuple[str, int]]]  # engineer -> ("segment", index) | ("fixed", job id), in order


def _segments(problem: Problem) -> tuple[list[_Segment], dict[int, list[tuple[str, int]]]]:
    """Each engineer's day cut at fixed stops and availability gaps, and the order of the pieces."""
    segments: list[_Segment] = []
    parts: dict[int, list[tuple[str, int]]] = {}
    for engineer in problem.engineers:
        fixed = list(problem.fixed_by_engineer.get(engineer.id, ()))
        order: list[tuple[str, int]] = []
        done: set[int] = set()
        place: Point | None = engineer.home
        for k, (lo, hi) in enumerate(engineer.available):
            clock = lo
            for f in fixed:
                if f.job_id in done or f.start >= hi or f.finish <= lo:
                    continue
                if f.start < clock:  # it began before this interval (in progress): start after it
                    order.append(("fixed", f.job_id))
                    done.add(f.job_id)
                    place, clock = f.place, max(clock, f.finish)
                    continue
                if f.start - clock > 0:
                    order.append(("segment", len(segments)))
                    segments.append(_Segment(engineer.id, place, f.place, clock, f.start))
                order.append(("fixed", f.job_id))
                done.add(f.job_id)
                place, clock = f.place, f.finish
            if hi > clock:
                last = k == len(engineer.available) - 1
                order.append(("segment", len(segments)))
                segments.append(_Segment(engineer.id, place, engineer.home if last else ANYWHERE, clock, hi))
                place = ANYWHERE
        # Fixed stops outside every available interval still belong to the day, in time order.
        rest = [f for f in fixed if f.job_id not in done]
        if rest:
            order = _merge_fixed(order, rest, segments, problem)
        parts[engineer.id] = order
    return segments, parts


def _merge_fixed(order: list[tuple[str, int]], rest: Sequence[FixedStop], segments: list[_Segment], problem: Problem) -> list[tuple[str, int]]:
    starts = {f.job_id: f.start for f in problem.fixed}
    merged = order + [("fixed", f.job_id) for f in rest]
    return sorted(merged, key=lambda p: segments[p[1]].early if p[0] == "segment" else starts[p[1]])


def build(problem: Problem) -> _Model | None:
    """The PyVRP data for a problem, or None when there is nothing to route."""
    segments, parts = _segments(problem)
    working = {s.engineer_id for s in segments}
    jobs = [j for j in problem.jobs if j.allowed and j.eligible & working]
    if not segments or not jobs:
        return None
    places: list[Point] = []
    index: dict[object, int] = {}

    def location(key: object, place: Point) -> int:
        found = index.get(key)
        if found is None:
            found = index[key] = len(places)
            places.append(place)
        return found

    depot_of: dict[Point | None, int] = {}
    depots: list[pyvrp.Depot] = []
    for seg in segments:
        for place in (seg.start, seg.end):
            if place not in depot_of:
                depot_of[place] = len(depots)
                depots.append(pyvrp.Depot(location(("depot", place), place if place is not ANYWHERE else (0.0, 0.0))))
    times = [v for s in segments for v in (s.early, s.late)] + [v for j in jobs for iv in j.allowed for v in iv]
    shift = -min(0, min(times))
    clients: list[pyvrp.Client] = []
    groups: list[pyvrp.ClientGroup] = []
    client_job: list[int] = []
    job_locations: dict[int, frozenset[int]] = {}  # location -> engineers allowed there
    for job in jobs:
        eligible = job.eligible & working
        loc = location(("job", job.place, eligible), job.place)
        job_locations[loc] = eligible
        pieces = [(lo, hi) for lo, hi in job.allowed if hi - lo >= job.duration]
        group = len(groups) if len(pieces) > 1 else None
        members = []
        for lo, hi in pieces:
            members.append(len(clients))
            clients.append(pyvrp.Client(
                location=loc, service_duration=job.duration, tw_early=lo + shift, tw_late=hi - job.duration + shift,
                prize=job.value, required=False, group=group,
            ))
            client_job.append(job.id)
        if group is not None:
            groups.append(pyvrp.ClientGroup(members, required=False))
    base = problem.travel.matrix(places)
    anywhere = index.get(("depot", ANYWHERE))
    if anywhere is not None:
        base[anywhere, :] = 0
        base[:, anywhere] = 0
    allowed_of = [frozenset(loc for loc, engs in job_locations.items() if seg.engineer_id in engs) for seg in segments]
    # PyVRP keeps a distance and a duration matrix per profile; we hold one more while building.
    if len(set(allowed_of)) * len(places) ** 2 * 8 * 3 > MATRIX_BUDGET_BYTES:
        raise TooManyProfiles(f"{len(set(allowed_of))} eligibility profiles over {len(places)} places")
    profiles: dict[frozenset[int], int] = {}
    matrices: list[np.ndarray] = []
    vehicle_types = []
    for k, seg in enumerate(segments):
        allowed = allowed_of[k]
        p = profiles.get(allowed)
        if p is None:
            p = profiles[allowed] = len(matrices)
            m = base.copy()
            bad = np.fromiter((loc for loc in job_locations if loc not in allowed), dtype=np.int64)
            if bad.size:
                m[bad, :] = FORBIDDEN
                m[:, bad] = FORBIDDEN
                np.fill_diagonal(m, 0)
            matrices.append(m)
        vehicle_types.append(pyvrp.VehicleType(
            1, start_depot=depot_of[seg.start], end_depot=depot_of[seg.end],
            tw_early=seg.early + shift, tw_late=seg.late + shift, profile=p, name=f"{seg.engineer_id}:{k}",
        ))
    locations = [pyvrp.Location(0, 0) for _ in places]  # coordinates unused: explicit matrices
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, matrices, matrices, groups=groups)  # type: ignore[arg-type]
    return _Model(data, client_job, parts)


def _stop(seconds: float, first_feasible: bool) -> StoppingCriterion:
    if first_feasible:
        return MultipleCriteria([FirstFeasible(), MaxRuntime(seconds)])
    return MaxRuntime(seconds)


def solve(problem: Problem, seconds: float, seed: int = 1, *, first_feasible: bool = False) -> Solution:
    """A plan within `seconds` of search (or at the first feasible one), timed, with reasons for what is left out."""
    began = time.perf_counter()
    try:
        model = build(problem)
    except TooManyProfiles:
        return solve_ortools(problem, seconds)
    if model is None:
        return retimed_solution(problem, {}, began, "pyvrp")
    # The search gets most of the time; the rest re-times the routes and fills what re-timing or an
    # unfinished search left free by exact cheapest insertion (about 1 s at 1,000 jobs).
    search = seconds if first_feasible else seconds * SEARCH_SHARE
    result = pyvrp.solve(model.data, stop=_stop(search, first_feasible), seed=seed, collect_stats=False, display=False)
    best = result.best
    by_segment: dict[int, list[int]] = {}
    if best.is_feasible():
        for route in best.routes():
            by_segment[route.vehicle_type()] = [model.client_job[a.idx] for a in route if a.is_client()]
    sequences = {
        eid: [x for kind, ref in order for x in (by_segment.get(ref, []) if kind == "segment" else [ref])]
        for eid, order in model.parts.items()
    }
    return retimed_solution(problem, sequences, began, "pyvrp", fill=not first_feasible)
