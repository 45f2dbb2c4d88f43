"""The independent plan checker against hand-made plans: one sound, and one breaking each rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from opsdesk.dispatch.checker import check
from opsdesk.dispatch.problem import EngineerDay, FixedStop, Job, Problem, Route, Solution, Stop
from opsdesk.dispatch.timing import schedule_route
from opsdesk.dispatch.travel import GreatCircle

H = 3600
HOME_A, HOME_B = (51.50, -0.10), (51.60, -0.30)
SITE_1, SITE_2, SITE_3 = (51.52, -0.12), (51.45, -0.05), (51.55, -0.20)


def problem(**changes: object) -> Problem:
    """Two engineers (A 08-17, B 08-12), three jobs, and a fixed stop of B's at 10:00."""
    jobs = (
        Job(1, 10, SITE_1, H, ((9 * H, 12 * H),), frozenset({1, 2}), 4 * H, (9 * H, 12 * H)),
        Job(2, 20, SITE_2, 2 * H, ((13 * H, 16 * H),), frozenset({1}), 4 * H, (13 * H, 16 * H)),
        Job(3, 30, SITE_3, H, ((8 * H, 10 * H), (14 * H, 16 * H)), frozenset({1, 2}), 2 * H, (8 * H, 16 * H)),
    )
    engineers = (
        EngineerDay(1, "Ann", HOME_A, ((8 * H, 17 * H),)),
        EngineerDay(2, "Bob", HOME_B, ((8 * H, 12 * H),)),
    )
    fixed = (FixedStop(9, 2, 40, SITE_3, 10 * H + 1800, 11 * H + 1800),)
    base = dict(origin=dt.datetime(2026, 11, 25, tzinfo=dt.UTC), jobs=jobs, engineers=engineers, travel=GreatCircle(40), fixed=fixed)
    base.update(changes)
    return Problem(**base)  # type: ignore[arg-type]


def sound(p: Problem) -> Solution:
    """Ann does 1 then 2; Bob does 3 in its morning piece, then his fixed stop."""
    ann = schedule_route(p, 1, [1, 2])
    bob = schedule_route(p, 2, [3, 9])
    assert ann is not None and bob is not None
    return Solution((ann, bob), {})


def kinds(p: Problem, s: Solution) -> set[str]:
    return {v.kind for v in check(p, s)}


def with_stop(s: Solution, engineer: int, index: int, **changes: int) -> Solution:
    routes = []
    for r in s.routes:
        if r.engineer_id == engineer:
            stops = list(r.stops)
            stops[index] = replace(stops[index], **changes)
            r = replace(r, stops=tuple(stops))
        routes.append(r)
    return replace(s, routes=tuple(routes))


def test_a_sound_plan_passes() -> None:
    p = problem()
    s = sound(p)
    assert check(p, s) == []
    # The job with two allowed pieces went in its morning piece, inside Bob's shift.
    bob = s.routes[1]
    assert bob.stops[0].job_id == 3 and bob.stops[0].finish <= 10 * H
    assert bob.stops[1].fixed and (bob.stops[1].start, bob.stops[1].finish) == (10 * H + 1800, 11 * H + 1800)


def test_ineligible_engineer() -> None:
    p = problem()
    route = schedule_route(replace(p, jobs=tuple(replace(j, eligible=frozenset({1, 2})) for j in p.jobs)), 2, [2])
    assert route is None  # Bob's day ends at 12:00; put job 2 in by hand instead
    bad = Solution((Route(2, (Stop(2, 13 * H, 13 * H, 15 * H, p.seconds_between(HOME_B, SITE_2)),), 8 * H, 0, 15 * H),), {})
    found = check(p, bad)
    assert {"not_eligible", "outside_shift", "fixed_moved"} <= {v.kind for v in found}
    assert any("Bob is not eligible for WO-2" in v.detail for v in found)


def test_outside_window() -> None:
    p = problem()
    s = with_stop(sound(p), 1, 0, start=12 * H, finish=13 * H)  # window ends 12:00
    assert "outside_window" in kinds(p, s)


def test_outside_the_site_permitted_hours_piece() -> None:
    p = problem()
    # Job 3 between its two allowed pieces (10:00-14:00 is not permitted).
    s = with_stop(sound(p), 2, 0, start=10 * H, finish=11 * H)
    assert "outside_window" in kinds(p, s)


def test_outside_shift_and_absence() -> None:
    p = problem()
    s = sound(p)
    # Ann absent from 13:00: her afternoon visit falls outside what she has available.
    absent = problem(engineers=(EngineerDay(1, "Ann", HOME_A, ((8 * H, 13 * H),)), p.engineers[1]))
    assert "outside_shift" in kinds(absent, s)


def test_wrong_duration() -> None:
    p = problem()
    stop = sound(p).routes[0].stops[0]
    s = with_stop(sound(p), 1, 0, finish=stop.finish - 600)
    assert "duration" in kinds(p, s)


def test_travel_too_short() -> None:
    p = problem()
    s = sound(p)
    second = s.routes[0].stops[1]
    s = with_stop(s, 1, 1, arrival=s.routes[0].stops[0].finish + 60, travel=60)
    assert second.travel > 60
    assert "travel" in kinds(p, s)


def test_starting_before_arriving() -> None:
    p = problem()
    s = sound(p)
    first = s.routes[0].stops[0]
    s = with_stop(s, 1, 0, arrival=first.start + 600)
    assert "travel" in kinds(p, s)


def test_overlapping_visits_are_caught_as_travel() -> None:
    p = problem()
    s = sound(p)
    ann = s.routes[0]
    # The second visit begins before the first has finished.
    s = with_stop(s, 1, 1, arrival=ann.stops[0].finish - 1800, start=ann.stops[0].finish - 1800,
                  finish=ann.stops[0].finish - 1800 + 2 * H)
    assert "travel" in kinds(p, s)


def test_home_too_late() -> None:
    p = problem()
    s = sound(p)
    ann = s.routes[0]
    s = replace(s, routes=(replace(ann, back_at=17 * H + 60), s.routes[1]))
    assert "outside_shift" in kinds(p, s)


def test_leaving_before_the_day_starts() -> None:
    p = problem()
    s = sound(p)
    s = replace(s, routes=(replace(s.routes[0], departure=7 * H), s.routes[1]))
    assert "outside_shift" in kinds(p, s)


def test_fixed_stop_moved_or_missing() -> None:
    p = problem()
    s = with_stop(sound(p), 2, 1, start=10 * H + 1860, finish=11 * H + 1860)
    assert "fixed_moved" in kinds(p, s)
    bob = schedule_route(p, 2, [3])
    assert bob is not None
    missing = Solution((sound(p).routes[0], bob), {})
    assert "fixed_moved" in kinds(p, missing)


def test_planned_twice_and_unknown() -> None:
    p = problem()
    s = sound(p)
    twice = replace(s, unassigned={1: "x"})
    assert "duplicate" in kinds(p, twice)
    ghost = Solution((*s.routes, Route(77, (Stop(1, 9 * H, 9 * H, 10 * H, 0),), 9 * H, 0, 10 * H)), {})
    assert {"unknown_engineer", "duplicate"} & kinds(p, ghost)
    unknown = with_stop(s, 1, 0, job_id=555)
    assert "unknown_job" in kinds(p, unknown)


@pytest.mark.parametrize("violation", ["outside_window", "not_eligible", "travel", "duration", "outside_shift", "fixed_moved"])
def test_every_violation_names_work_and_reads_as_a_sentence(violation: str) -> None:
    p = problem()
    s = sound(p)
    broken = {
        "outside_window": with_stop(s, 1, 0, start=12 * H, finish=13 * H),
        "not_eligible": Solution((Route(2, (Stop(2, 13 * H, 13 * H, 15 * H, p.seconds_between(HOME_B, SITE_2)),), 8 * H, 0, 15 * H),), {}),
        "travel": with_stop(s, 1, 1, travel=1),
        "duration": with_stop(s, 1, 0, finish=s.routes[0].stops[0].finish + 1),
        "outside_shift": replace(s, routes=(replace(s.routes[0], departure=6 * H), s.routes[1])),
        "fixed_moved": with_stop(s, 2, 1, start=0, finish=H),
    }[violation]
    found = [v for v in check(p, broken) if v.kind == violation]
    assert found
    assert all(v.detail and v.as_dict()["kind"] == violation for v in found)


def test_a_visit_inside_a_freeze_is_refused_even_where_the_allowed_hours_let_it() -> None:
    # Job 1's window is 09-12; a freeze 09-10:30 closes part of it. The checker names the freeze
    # from the job's own list, whatever `allowed` says (a stale or wrong allowed cannot hide it).
    p = problem()
    frozen = replace(p.jobs[0], freezes=((9 * H, 10 * H + 1800, "Clinic hours"),))
    p = replace(p, jobs=(frozen, *p.jobs[1:]))
    plan = sound(p)
    start = plan.assigned()[1][1].start
    assert start < 10 * H + 1800  # earliest start: inside the freeze
    violations = [v for v in check(p, plan) if v.job_id == 1]
    assert [v.kind for v in violations] == ["freeze"] and "falls in the freeze 'Clinic hours'" in violations[0].detail
    later = with_stop(plan, 1, 0, start=10 * H + 1800, finish=11 * H + 1800)
    assert "freeze" not in kinds(p, later)
