"""Work whose window a freeze covers in part (WO-35's situation: 60 minutes, window 17:00-21:00,
freeze 07:00-19:00): the day's problem gives it only the free time, the solver plans it at or after
19:00 and the checker refuses a plan that puts it inside the freeze."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock
from opsdesk.dispatch import checker, queries, services
from opsdesk.dispatch.answers import plan_answer
from opsdesk.dispatch.problem import Route, Solution, Stop
from tests.dispatch.builders import DAY, NOW, at, ready, world

pytestmark = pytest.mark.django_db
CLINIC = "No change during clinic hours"
LONG_DAYS = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture(autouse=True)
def quick(settings):
    settings.OPSDESK_DISPATCH_SECONDS = 0.3


@pytest.fixture
def w():
    w = world()
    ChangeWindow.objects.create(kind="freeze", name=CLINIC, site=w["north"], start_on=dt.date(2030, 1, 7),
                                start_time=dt.time(7), duration_minutes=720, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    w["Ann"].working_hours = LONG_DAYS  # the only one working into the evening
    w["Ann"].save()
    w["evening"] = ready(w, "Splice fibre after clinic hours", "17:00", "21:00", minutes=60)
    return w


def test_the_problem_gives_the_work_only_the_time_after_the_freeze(w):
    loaded = queries.load_day(w["region"], DAY)
    job = loaded.problem.job_by_id[w["evening"].pk]
    seconds = loaded.problem.seconds
    assert job.allowed == ((seconds(at("19:00")), seconds(at("21:00"))),)
    assert job.freezes == ((seconds(at("07:00")), seconds(at("19:00")), CLINIC),)


def test_the_plan_places_the_visit_after_the_freeze(w):
    assert w["evening"].state == "ready"
    with clock.frozen(NOW):
        plan = services.propose_plan(w["region"].code, DAY, actor=w["dispatcher"])
    answer = plan_answer(plan)
    assert answer["checker"] == {"ok": True, "violations": []}
    (route,) = [r for r in answer["routes"] if any(s["work_order"] == w["evening"].pk for s in r["stops"])]
    stop = next(s for s in route["stops"] if s["work_order"] == w["evening"].pk)
    assert route["engineer"] == w["Ann"].pk
    assert dt.datetime.fromisoformat(stop["start"]) >= at("19:00")
    assert dt.datetime.fromisoformat(stop["finish"]) <= at("21:00")


def visit_at(problem, engineer_id: int, job_id: int, hhmm: str) -> Solution:
    """A plan with one visit at `hhmm` London, travel as the problem says."""
    job, engineer = problem.job_by_id[job_id], problem.engineer_by_id[engineer_id]
    start = problem.seconds(at(hhmm))
    there = problem.seconds_between(engineer.home, job.place)
    back = problem.seconds_between(job.place, engineer.home)
    stop = Stop(job_id, arrival=start, start=start, finish=start + job.duration, travel=there)
    route = Route(engineer_id, (stop,), departure=start - there, return_travel=back, back_at=stop.finish + back)
    return Solution((route,))


def test_the_checker_flags_a_visit_inside_the_freeze(w):
    problem = queries.load_day(w["region"], DAY).problem
    wo, ann = w["evening"].pk, w["Ann"].pk
    violations = checker.check(problem, visit_at(problem, ann, wo, "17:30"))
    assert [(v.kind, v.job_id) for v in violations] == [("freeze", wo)]
    assert f"WO-{wo} falls in the freeze '{CLINIC}'" in violations[0].detail
    assert checker.check(problem, visit_at(problem, ann, wo, "19:00")) == []
    # Ending the visit just inside the freeze is as bad as starting in it.
    edge = visit_at(problem, ann, wo, "18:30")
    assert [v.kind for v in checker.check(problem, edge)] == ["freeze"]


def test_both_solvers_use_the_free_time_of_a_window_a_freeze_cuts_in_two(w):
    """A freeze 07:00-19:00 inside a 06:00-21:00 window leaves 06:00-07:00 (nobody works then) and
    19:00-21:00: PyVRP (one client per free interval, a mutually exclusive group) and OR-Tools (the
    gaps removed from the start's domain) both place the visit in the evening."""
    from opsdesk.dispatch.ortools_solver import solve_ortools
    from opsdesk.dispatch.solver import solve

    both = ready(w, "Splice fibre around clinic hours", "06:00", "21:00", minutes=60)
    problem = queries.load_day(w["region"], DAY).problem
    seconds = problem.seconds
    assert problem.job_by_id[both.pk].allowed == (
        (seconds(at("06:00")), seconds(at("07:00"))), (seconds(at("19:00")), seconds(at("21:00"))),
    )
    for solution in (solve(problem, 0.3), solve_ortools(problem, 1.0)):
        assert checker.check(problem, solution) == [], solution.solver
        placed = solution.assigned()
        for wo in (both.pk, w["evening"].pk):
            engineer, stop = placed[wo]
            assert engineer == w["Ann"].pk and stop.start >= seconds(at("19:00")), solution.solver
