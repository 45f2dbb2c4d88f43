"""The planning problem and its answer as plain data: what the solvers, the checker and the
benchmark share. No database, no Django.

Time is whole seconds since `Problem.origin` (an aware UTC instant): the solvers want integers in
one time base, and site-local windows and engineers' local shifts are converted into it by the
queries before a problem is built. Places are (latitude, longitude) pairs; travel between them
comes from `Problem.travel` (see travel.py).

Decisions (relied on by the solvers, the checker and the tests):

- A job's `allowed` intervals are where its visit may lie: its window intersected with the site's
  permitted hours, less the freezes (`freezes`, kept to name one a plan breaks). The whole visit
  [start, start + duration] lies inside one of them: a window is a promise to the client, so a
  visit is never late (lateness is reported, and is zero for any plan the checker passes, except
  for fixed stops that began late).
- An engineer's `available` intervals are their shifts on the day minus their absences. They
  leave home no earlier than the first interval starts and are home again no later than the
  last ends; every visit lies inside one interval; travel may cross a break.
- Fixed stops (dispatched or in progress work) stay with their engineer at their times.
- `eligible` holds the engineers whose skills, certifications and site access allow the job on
  the day (workorders.eligibility decides; shifts and absences are the time model's business).
- The objective: the value of the work done (`value`, priority-weighted, in travel seconds) less
  the travel; every job is optional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .travel import TravelTimes

Interval = tuple[int, int]
Point = tuple[float, float]

# What leaving one job out costs, in travel seconds, per priority: doing a P1 job is worth up to
# 16 h of driving, a P4 job 2 h (the issue: "maximise priority-weighted assigned work").
VALUE_OF_PRIORITY = {"P1": 16 * 3600, "P2": 8 * 3600, "P3": 4 * 3600, "P4": 2 * 3600}


@dataclass(frozen=True)
class Job:
    """One work order to place: where, how long, when it may happen, who may do it, what it is worth."""

    id: int
    site_id: int
    place: Point
    duration: int
    allowed: tuple[Interval, ...]
    eligible: frozenset[int]
    value: int
    window: Interval | None = None  # the client's window (for lateness); `allowed` is what binds
    label: str = ""
    freezes: tuple[tuple[int, int, str], ...] = ()  # freeze occurrences over the window (start, end, name): never visited


@dataclass(frozen=True)
class EngineerDay:
    """An engineer's day: home, when they can work, and what is already fixed."""

    id: int
    name: str
    home: Point
    available: tuple[Interval, ...]


@dataclass(frozen=True)
class FixedStop:
    """A visit that stays as it is: dispatched or in progress work (or a commitment made outside a plan)."""

    job_id: int
    engineer_id: int
    site_id: int
    place: Point
    start: int
    finish: int
    label: str = ""


@dataclass(frozen=True)
class Problem:
    """A region's day: the jobs to place, the engineers, the fixed stops, and travel times."""

    origin: dt.datetime
    jobs: tuple[Job, ...]
    engineers: tuple[EngineerDay, ...]
    travel: TravelTimes
    fixed: tuple[FixedStop, ...] = ()

    @cached_property
    def job_by_id(self) -> dict[int, Job]:
        """Jobs by id."""
        return {j.id: j for j in self.jobs}

    @cached_property
    def engineer_by_id(self) -> dict[int, EngineerDay]:
        """Engineers by id."""
        return {e.id: e for e in self.engineers}

    @cached_property
    def fixed_by_engineer(self) -> dict[int, list[FixedStop]]:
        """Each engineer's fixed stops in time order."""
        out: dict[int, list[FixedStop]] = {}
        for stop in sorted(self.fixed, key=lambda s: (s.start, s.job_id)):
            out.setdefault(stop.engineer_id, []).append(stop)
        return out

    def at(self, seconds: int) -> dt.datetime:
        """The instant `seconds` after the origin."""
        return self.origin + dt.timedelta(seconds=seconds)

    def seconds(self, instant: dt.datetime) -> int:
        """`instant` as whole seconds since the origin (rounded down)."""
        return int((instant - self.origin).total_seconds() // 1)

    def seconds_between(self, a: Point, b: Point) -> int:
        """Travel seconds from a to b."""
        return self.travel.seconds(a, b)


@dataclass(frozen=True)
class Stop:
    """One visit in a route: when the engineer arrives, starts and finishes, and the travel to get there."""

    job_id: int
    arrival: int
    start: int
    finish: int
    travel: int  # seconds from the previous place (home or the previous stop)
    fixed: bool = False


@dataclass(frozen=True)
class Route:
    """An engineer's day in order: leave home, the stops, travel home."""

    engineer_id: int
    stops: tuple[Stop, ...]
    departure: int = 0  # leaving home
    return_travel: int = 0  # seconds from the last stop home
    back_at: int = 0  # home again

    @property
    def travel(self) -> int:
        """Seconds on the road."""
        return sum(s.travel for s in self.stops) + self.return_travel


@dataclass(frozen=True)
class Solution:
    """A plan: a route per engineer with stops, and why each job left out was left out."""

    routes: tuple[Route, ...]
    unassigned: Mapping[int, str] = field(default_factory=dict)
    solver: str = ""
    seconds: float = 0.0  # wall time of the solve

    @property
    def travel(self) -> int:
        """Total seconds on the road."""
        return sum(r.travel for r in self.routes)

    def assigned(self) -> dict[int, tuple[int, Stop]]:
        """job id -> (engineer id, stop)."""
        return {s.job_id: (r.engineer_id, s) for r in self.routes for s in r.stops}


def lateness(problem: Problem, solution: Solution) -> int:
    """Seconds by which visits finish after their client window closes, summed."""
    late = 0
    for route in solution.routes:
        for stop in route.stops:
            job = problem.job_by_id.get(stop.job_id)
            if job is not None and job.window is not None:
                late += max(0, stop.finish - job.window[1])
    return late


def interval_holding(intervals: tuple[Interval, ...], start: int, finish: int) -> Interval | None:
    """The interval of `intervals` that holds [start, finish], or None."""
    for lo, hi in intervals:
        if lo <= start and finish <= hi:
            return lo, hi
    return None
