"""The baseline plan: each job, in order of its earliest allowed start, goes to the nearest eligible
engineer who can still take it at the end of their day so far.

What a dispatcher does by hand, and what the solver's plans are measured against. Each engineer's
route is their fixed stops plus the jobs appended so far; a job is appended after the last one
(moving past fixed stops as needed, never into them) only if the whole visit lies in one of its
allowed intervals and in one of the engineer's available intervals, the engineer reaches the next
fixed stop in time, and can still get home by the end of their last available interval. Among the
engineers who can take it, the one whose current place is nearest (in travel seconds) gets it.

Visits start as early as possible (timing.schedule_route re-times the finished routes, the rule
every solver shares); jobs left out get explain.reasons_for's reasons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .explain import reasons_for
from .problem import EngineerDay, FixedStop, Interval, Problem, Route, Solution, Stop
from .timing import earliest_start, schedule_route


class _Places:
    """Every place of a problem as an index into one travel matrix (the same seconds as
    `problem.travel.seconds`)."""

    def __init__(self, problem: Problem) -> None:
        index: dict[tuple[float, float], int] = {}
        for point in (
            *(e.home for e in problem.engineers),
            *(j.place for j in problem.jobs),
            *(f.place for f in problem.fixed),
        ):
            index.setdefault(point, len(index))
        self.index = index
        self.seconds: list[list[int]] = problem.travel.matrix(list(index)).tolist()


@dataclass
class _Day:
    """An engineer's route as it is being built."""

    engineer: EngineerDay
    home: int  # place index
    fixed: list[FixedStop]
    fixed_places: list[int]
    departure: int
    end: int  # home again by then
    place: int  # where they are after the last stop so far
    time: int  # when they are free there
    next_fixed: int = 0  # fixed stops before this index are in `stops`
    stops: list[Stop] = field(default_factory=list)

    def advance(self, places: _Places, upto: int) -> None:
        """Put the fixed stops before index `upto` into the route."""
        while self.next_fixed < upto:
            stop = self.fixed[self.next_fixed]
            where = self.fixed_places[self.next_fixed]
            travel = places.seconds[self.place][where]
            self.stops.append(
                Stop(
                    job_id=stop.job_id,
                    arrival=self.time + travel,
                    start=stop.start,
                    finish=stop.finish,
                    travel=travel,
                    fixed=True,
                )
            )
            self.place, self.time = where, max(self.time + travel, stop.finish)
            self.next_fixed += 1

    def route(self, places: _Places) -> Route:
        self.advance(places, len(self.fixed))
        back = places.seconds[self.place][self.home] if self.stops else 0
        return Route(
            engineer_id=self.engineer.id,
            stops=tuple(self.stops),
            departure=self.departure,
            return_travel=back,
            back_at=self.time + back if self.stops else self.departure,
        )


def _fit(
    day: _Day, places: _Places, where: int, duration: int, allowed: tuple[Interval, ...]
) -> tuple[int, int, int, int] | None:
    """Where a job at place `where` fits at the end of `day`: (fixed stops to pass first, place
    it is reached from, travel, start), or None."""
    seconds = places.seconds
    available = day.engineer.available
    place, free = day.place, day.time
    k = day.next_fixed
    while True:
        travel = seconds[place][where]
        start = earliest_start(free + travel, duration, allowed, available)
        if start is None:
            return None  # later is no better: the intervals only get used up
        finish = start + duration
        if k < len(day.fixed):
            nxt = day.fixed[k]
            if finish + seconds[where][day.fixed_places[k]] <= nxt.start:
                return k, place, travel, start
            # does not fit before the next fixed stop: try after it
            free = max(free + seconds[place][day.fixed_places[k]], nxt.finish)
            place = day.fixed_places[k]
            k += 1
            continue
        if finish + seconds[where][day.home] <= day.end:
            return k, place, travel, start
        return None


def solve_greedy(problem: Problem) -> Solution:
    """Nearest eligible engineer, jobs in order of earliest allowed start (higher value first)."""
    began = time.perf_counter()
    places = _Places(problem)
    fixed_by = problem.fixed_by_engineer
    fixed_ids = {f.job_id for f in problem.fixed}
    days: dict[int, _Day] = {}
    for eng in problem.engineers:
        home = places.index[eng.home]
        own = fixed_by.get(eng.id, [])
        first = eng.available[0][0] if eng.available else 0
        last = eng.available[-1][1] if eng.available else 0
        if own:  # a fixed stop that needs an earlier start or a later finish keeps its times
            first = min(first, own[0].start - places.seconds[home][places.index[own[0].place]])
            last = max(last, own[-1].finish + places.seconds[places.index[own[-1].place]][home])
        days[eng.id] = _Day(
            engineer=eng,
            home=home,
            fixed=own,
            fixed_places=[places.index[f.place] for f in own],
            departure=first,
            end=last,
            place=home,
            time=first,
        )

    unassigned: set[int] = set()
    todo = [j for j in problem.jobs if j.id not in fixed_ids]
    todo.sort(key=lambda j: (min((lo for lo, _ in j.allowed), default=1 << 62), -j.value, j.id))
    for job in todo:
        if not job.eligible:
            unassigned.add(job.id)
            continue
        where = places.index[job.place]
        best: tuple[int, int, int] | None = None  # (travel, start, engineer id)
        best_fit: tuple[int, int, int, int] | None = None
        for eid in sorted(job.eligible):
            day = days.get(eid)
            if day is None or not day.engineer.available:
                continue
            fit = _fit(day, places, where, job.duration, job.allowed)
            if fit is None:
                continue
            key = (fit[2], fit[3], eid)
            if best is None or key < best:
                best, best_fit = key, fit
        if best is None or best_fit is None:
            unassigned.add(job.id)
            continue
        day = days[best[2]]
        k, _, travel, start = best_fit
        day.advance(places, k)
        day.stops.append(
            Stop(
                job_id=job.id,
                arrival=day.time + travel,
                start=start,
                finish=start + job.duration,
                travel=travel,
            )
        )
        day.place, day.time = where, start + job.duration

    routes = []
    for eng in problem.engineers:
        built = days[eng.id].route(places)
        again = schedule_route(problem, eng.id, [s.job_id for s in built.stops])
        routes.append(again if again is not None else built)
    return Solution(
        routes=tuple(routes),
        unassigned=reasons_for(problem, unassigned),
        solver="greedy",
        seconds=time.perf_counter() - began,
    )
