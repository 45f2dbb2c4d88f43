"""When each visit of an ordered route happens: the earliest-start simulation shared by the solver
adapters, insertion and re-planning (the checker verifies on its own, without this module)."""

from __future__ import annotations

from collections.abc import Sequence

from .problem import Interval, Problem, Route, Stop


def earliest_start(arrival: int, duration: int, allowed: Sequence[Interval], available: Sequence[Interval]) -> int | None:
    """The earliest start >= arrival with [start, start + duration] inside one allowed and one available interval."""
    best: int | None = None
    for a_lo, a_hi in allowed:
        for v_lo, v_hi in available:
            start = max(arrival, a_lo, v_lo)
            if start + duration <= min(a_hi, v_hi) and (best is None or start < best):
                best = start
    return best


def schedule_route(problem: Problem, engineer_id: int, job_ids: Sequence[int]) -> Route | None:
    """The route visiting `job_ids` in order at the earliest times, or None when it cannot be done.

    Ids of the engineer's fixed stops keep their times (the engineer only has to get there by
    the start); the others start as early as travel, their allowed hours and the engineer's
    availability permit. The engineer leaves home as late as the first visit allows.
    """
    return _timed(problem, engineer_id, job_ids, strict=True)


def force_route(problem: Problem, engineer_id: int, job_ids: Sequence[int]) -> Route:
    """The route as asked even when it breaks rules (a dispatcher's drag, shown with the checker's
    verdict): `schedule_route`'s times where they can be kept; otherwise a visit starts on arrival
    or when its hours first open, whichever is later."""
    found = _timed(problem, engineer_id, job_ids, strict=False)
    assert found is not None
    return found


def _timed(problem: Problem, engineer_id: int, job_ids: Sequence[int], *, strict: bool) -> Route | None:
    engineer = problem.engineer_by_id[engineer_id]
    if not engineer.available and (strict or not job_ids):
        return None if job_ids else Route(engineer_id, ())
    fixed = {f.job_id: f for f in problem.fixed_by_engineer.get(engineer_id, ())}
    begin, end = (engineer.available[0][0], engineer.available[-1][1]) if engineer.available else (0, 0)
    place, clock = engineer.home, begin
    stops: list[Stop] = []
    departure = begin
    for i, job_id in enumerate(job_ids):
        f = fixed.get(job_id)
        to = f.place if f is not None else problem.job_by_id[job_id].place
        travel = problem.seconds_between(place, to)
        arrival = clock + travel
        if f is not None:
            if i == 0:  # a fixed first stop: they left home in time for it, whenever that was
                arrival = min(arrival, f.start)
            elif arrival > f.start and strict:
                return None
            start, finish = f.start, f.finish
        else:
            job = problem.job_by_id[job_id]
            found = earliest_start(arrival, job.duration, job.allowed, engineer.available)
            if found is None:
                if strict:
                    return None
                found = max(arrival, job.allowed[0][0] if job.allowed else arrival)
            start, finish = found, found + job.duration
        if i == 0:
            departure = max(departure, start - travel) if f is None else start - travel
            arrival = departure + travel
        stops.append(Stop(job_id, arrival, start, finish, travel, fixed=f is not None))
        place, clock = to, finish
    back = problem.seconds_between(place, engineer.home)
    if strict and stops and clock + back > end and not stops[-1].fixed:
        return None
    return Route(engineer_id, tuple(stops), departure=departure if stops else begin,
                 return_travel=back if stops else 0, back_at=clock + back if stops else begin)
