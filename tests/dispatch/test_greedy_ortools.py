"""The baseline (greedy) and the fallback solver (OR-Tools) on small hand-made days and a
generated one: eligibility, windows, availability gaps, fixed stops, and what cannot be done."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from opsdesk.dispatch.checker import check
from opsdesk.dispatch.explain import NO_ELIGIBLE, NO_SHIFT
from opsdesk.dispatch.greedy import solve_greedy
from opsdesk.dispatch.instances import generate
from opsdesk.dispatch.ortools_solver import solve_ortools
from opsdesk.dispatch.problem import EngineerDay, FixedStop, Job, Problem, Solution
from opsdesk.dispatch.travel import GreatCircle

H = 3600
A, B = 1, 2
ORIGIN = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


def job(jid: int, place: tuple[float, float], duration: int, allowed: tuple[tuple[int, int], ...],
        eligible: set[int], value: int = 8 * H) -> Job:
    return Job(id=jid, site_id=jid, place=place, duration=duration, allowed=allowed,
               eligible=frozenset(eligible), value=value, window=allowed[0] if allowed else None)


def small_day() -> Problem:
    """Two engineers; B takes lunch 12:00-12:30; A has a fixed stop 09:00-10:00."""
    engineers = (
        EngineerDay(id=A, name="A", home=(52.0, 5.0), available=((8 * H, 16 * H),)),
        EngineerDay(id=B, name="B", home=(52.2, 5.3), available=((8 * H, 12 * H), (12 * H + 1800, 16 * H + 1800))),
    )
    jobs = (
        job(1, (52.18, 5.28), 3600, ((13 * H, 16 * H),), {A}),  # next to B's home, but only A may
        job(2, (52.1, 5.1), 1800, ((10 * H, 11 * H),), {A, B}),  # a tight window
        job(3, (52.15, 5.25), 2700, ((11 * H + 2700, 13 * H + 1800),), {B}),  # across B's lunch
        job(4, (52.05, 5.05), 3600, ((9 * H + 900, 11 * H + 1800),), {A}),  # at the fixed stop's site
        job(5, (52.1, 5.2), 1800, ((9 * H, 15 * H),), set()),  # nobody may
        job(6, (52.1, 5.2), 1800, ((20 * H, 22 * H),), {A, B}),  # after everyone's day
    )
    fixed = (FixedStop(job_id=99, engineer_id=A, site_id=4, place=(52.05, 5.05), start=9 * H, finish=10 * H),)
    return Problem(origin=ORIGIN, jobs=jobs, engineers=engineers, travel=GreatCircle(40), fixed=fixed)


SOLVERS: dict[str, Callable[[Problem], Solution]] = {
    "greedy": solve_greedy,
    "ortools": lambda p: solve_ortools(p, 1.0),
}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_small_day_respects_every_rule(name: str) -> None:
    problem = small_day()
    plan = SOLVERS[name](problem)
    assert check(problem, plan) == []
    placed = plan.assigned()
    assert set(placed) == {1, 2, 3, 4, 99}
    assert placed[1][0] == A  # eligibility beats nearness
    assert placed[3][0] == B
    assert placed[4][0] == A
    engineer, stop = placed[99]
    assert (engineer, stop.start, stop.finish, stop.fixed) == (A, 9 * H, 10 * H, True)
    assert 10 * H <= placed[2][1].start <= 10 * H + 1800  # inside the window
    assert placed[3][1].start >= 12 * H + 1800  # not during B's lunch
    assert placed[4][1].start >= 10 * H  # not over the fixed stop
    assert plan.unassigned == {5: NO_ELIGIBLE, 6: NO_SHIFT}
    assert plan.solver == name
    for route in plan.routes:
        if route.stops:
            first = route.stops[0]
            assert first.arrival == route.departure + first.travel
            assert route.back_at == route.stops[-1].finish + route.return_travel


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_travel_may_cross_a_gap(name: str) -> None:
    """B ends a visit at 11:50 and drives through lunch to a visit at 12:30."""
    engineers = (EngineerDay(id=B, name="B", home=(52.0, 5.0), available=((8 * H, 12 * H), (12 * H + 1800, 17 * H))),)
    far = (52.0, 5.4)  # ~27 km: 41 min at 40 km/h
    jobs = (
        job(1, (52.0, 5.0), 3000, ((11 * H, 11 * H + 3000),), {B}),
        job(2, far, 1800, ((12 * H + 1800, 13 * H + 1800),), {B}),
    )
    problem = Problem(origin=ORIGIN, jobs=jobs, engineers=engineers, travel=GreatCircle(40))
    plan = SOLVERS[name](problem)
    assert check(problem, plan) == []
    assert set(plan.assigned()) == {1, 2}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_generated_day_passes_the_checker(name: str) -> None:
    problem = generate(60, 10, seed=3, fixed=3)
    assert problem.fixed
    plan = SOLVERS[name](problem)
    assert check(problem, plan) == []
    placed = set(plan.assigned())
    ids = {j.id for j in problem.jobs}
    assert {f.job_id for f in problem.fixed} <= placed
    assert placed.isdisjoint(plan.unassigned)
    assert (placed | set(plan.unassigned)) - {f.job_id for f in problem.fixed} == ids
    assert all(plan.unassigned[j.id] == NO_ELIGIBLE for j in problem.jobs if not j.eligible)
    assert len(placed) > len(problem.fixed)


def test_ortools_does_at_least_as_well_as_greedy_from_its_plan() -> None:
    problem = generate(60, 10, seed=4)

    def objective(plan: Solution) -> int:
        return plan.travel + sum(problem.job_by_id[j].value for j in plan.unassigned)

    greedy = solve_greedy(problem)
    better = solve_ortools(problem, 1.0, start=greedy)
    assert check(problem, better) == []
    assert objective(better) <= objective(greedy)


def test_greedy_is_fast_at_scale() -> None:
    problem = generate(1000, 150, seed=1, fixed=10)
    plan = solve_greedy(problem)
    assert plan.seconds < 1.0
    assert check(problem, plan) == []


def test_ortools_repairs_what_greedy_gets_wrong() -> None:
    """Taking job 1 first (its window opens at 08:00), greedy sends A there after the fixed stop
    and then has no time left for job 4; the search reorders and does both."""
    day = small_day()
    early = dataclasses.replace(day.job_by_id[1], allowed=((8 * H, 16 * H),), window=(8 * H, 16 * H))
    problem = dataclasses.replace(day, jobs=(early, *day.jobs[1:]))
    assert 4 in solve_greedy(problem).unassigned
    plan = solve_ortools(problem, 1.0)
    assert check(problem, plan) == []
    assert set(plan.assigned()) == {1, 2, 3, 4, 99}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_a_gap_of_one_eligible_engineer_sends_the_job_to_the_other(name: str) -> None:
    """Job 1 fits only 12:00-12:40, B's lunch: A (further away) does it; job 2 is B's alone and
    can only be left out."""
    day = small_day()
    jobs = (
        job(1, (52.19, 5.29), 1800, ((12 * H, 12 * H + 2400),), {A, B}),
        job(2, (52.19, 5.29), 1800, ((12 * H, 12 * H + 2400),), {B}),
    )
    problem = Problem(origin=ORIGIN, jobs=jobs, engineers=day.engineers, travel=GreatCircle(40))
    plan = SOLVERS[name](problem)
    assert check(problem, plan) == []
    assert plan.assigned()[1][0] == A
    assert set(plan.unassigned) == {2}
