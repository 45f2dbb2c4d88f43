"""The PyVRP adapter, urgent insertion and re-planning on small and generated problems, judged by the checker."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from opsdesk.dispatch import explain, insertion, solver
from opsdesk.dispatch.checker import check
from opsdesk.dispatch.instances import generate
from opsdesk.dispatch.problem import EngineerDay, FixedStop, Job, Problem, lateness
from opsdesk.dispatch.travel import GreatCircle

H = 3600
ORIGIN = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
HOME_A, HOME_B = (51.50, -0.10), (51.60, -0.30)
SITES = [(51.52, -0.12), (51.45, -0.05), (51.55, -0.20), (51.58, -0.25), (51.48, -0.15)]


def small(**changes: object) -> Problem:
    jobs = (
        Job(1, 1, SITES[0], H, ((9 * H, 12 * H),), frozenset({1, 2}), 4 * H, (9 * H, 12 * H)),
        Job(2, 2, SITES[1], 2 * H, ((13 * H, 16 * H),), frozenset({1}), 4 * H, (13 * H, 16 * H)),
        Job(3, 3, SITES[2], H, ((8 * H, 10 * H), (14 * H, 16 * H)), frozenset({2}), 2 * H, (8 * H, 16 * H)),
        Job(4, 4, SITES[3], H, ((9 * H, 17 * H),), frozenset(), 16 * H, (9 * H, 17 * H)),  # nobody may do it
        Job(5, 5, SITES[4], H, (), frozenset({1, 2}), 4 * H, (6 * H, 7 * H)),  # outside the permitted hours
        Job(6, 4, SITES[3], H, ((9 * H, 17 * H),), frozenset({3}), 4 * H, (9 * H, 17 * H)),  # only Cy, who is off
    )
    engineers = (
        EngineerDay(1, "Ann", HOME_A, ((8 * H, 17 * H),)),
        EngineerDay(2, "Bob", HOME_B, ((8 * H, 12 * H), (13 * H, 17 * H))),
        EngineerDay(3, "Cy", HOME_B, ()),
    )
    base = dict(origin=ORIGIN, jobs=jobs, engineers=engineers, travel=GreatCircle(40), fixed=())
    base.update(changes)
    return Problem(**base)  # type: ignore[arg-type]


def test_small_day_is_planned_soundly_with_reasons_for_what_is_left_out() -> None:
    p = small()
    s = solver.solve(p, 0.5)
    assert check(p, s) == []
    assigned = s.assigned()
    assert assigned[1][0] in (1, 2) and assigned[2][0] == 1 and assigned[3][0] == 2
    assert s.unassigned == {
        4: explain.NO_ELIGIBLE, 5: explain.NO_HOURS, 6: explain.NO_SHIFT,
    }
    assert lateness(p, s) == 0
    # Bob's job 3 lies in one of its two allowed pieces and inside one of his two shift pieces.
    stop = next(st for r in s.routes for st in r.stops if st.job_id == 3)
    assert stop.finish <= 10 * H or stop.start >= 14 * H
    assert stop.finish <= 12 * H or stop.start >= 13 * H


def test_fixed_stop_stays_and_the_day_is_planned_around_it() -> None:
    fixed = (FixedStop(100, 1, 9, SITES[4], 11 * H, 12 * H + 1800),)
    p = small(fixed=fixed)
    s = solver.solve(p, 0.5)
    assert check(p, s) == []
    ann = next(r for r in s.routes if r.engineer_id == 1)
    kept = [st for st in ann.stops if st.job_id == 100]
    assert len(kept) == 1 and kept[0].fixed and (kept[0].start, kept[0].finish) == (11 * H, 12 * H + 1800)
    # Job 1 (09:00-12:00, an hour) now fits Ann only before 11:00 or goes to Bob.
    engineer, stop = s.assigned()[1]
    assert engineer == 2 or stop.finish <= 11 * H


def test_capacity_runs_out_and_says_so() -> None:
    many = tuple(Job(10 + i, 1, SITES[i % 5], 3 * H, ((9 * H, 16 * H),), frozenset({1}), 4 * H, (9 * H, 16 * H)) for i in range(4))
    p = small(jobs=many)
    s = solver.solve(p, 0.5)
    assert check(p, s) == []
    assert len(s.assigned()) == 2  # seven hours of window hold two three-hour visits and the drive between
    assert set(s.unassigned.values()) == {explain.NO_CAPACITY}


def test_generated_instance_passes_the_checker_and_first_feasible_is_quick() -> None:
    p = generate(120, 20, seed=3, fixed=5)
    first = solver.solve(p, 5, first_feasible=True)
    assert check(p, first) == []
    assert first.seconds < 2
    s = solver.solve(p, 1)
    assert check(p, s) == []
    assert len(s.assigned()) >= len(first.assigned()) - 5
    for f in p.fixed:  # fixed stops kept exactly
        engineer, stop = s.assigned()[f.job_id]
        assert engineer == f.engineer_id and (stop.start, stop.finish) == (f.start, f.finish)


def test_urgent_insertion_moves_nothing() -> None:
    p = generate(100, 20, seed=4)
    s = solver.solve(p, 1)
    before = s.assigned()
    placed = 0
    for k in range(8):
        base = p.jobs[k]
        urgent = Job(90_000 + k, base.site_id, base.place, H, ((11 * H, 15 * H),), base.eligible, 16 * H, (11 * H, 15 * H))
        q = replace(p, jobs=(*p.jobs, urgent))
        found = insertion.insert(q, s, urgent.id)
        if found is None:
            continue
        placed += 1
        assert check(q, found) == []
        after = found.assigned()
        assert after[urgent.id][0] in urgent.eligible
        assert all(after[j][0] == e for j, (e, _) in before.items())  # nobody else changed engineer
    assert placed >= 1


def test_replan_keeps_fixed_stops_and_moves_only_the_absent_engineers_work() -> None:
    p = generate(100, 20, seed=5)
    s = solver.solve(p, 1)
    sequences = {r.engineer_id: [st.job_id for st in r.stops] for r in s.routes}
    busiest = max(s.routes, key=lambda r: len(r.stops))
    keep = next(r for r in s.routes if r.stops and r.engineer_id != busiest.engineer_id)
    # The kept engineer's first visit is now dispatched (fixed); the busiest engineer falls ill.
    first = keep.stops[0]
    job = p.job_by_id[first.job_id]
    fixed = FixedStop(job.id, keep.engineer_id, job.site_id, job.place, first.start, first.finish)
    ill = tuple(replace(e, available=()) if e.id == busiest.engineer_id else e for e in p.engineers)
    q = replace(p, engineers=ill, jobs=tuple(j for j in p.jobs if j.id != job.id), fixed=(fixed,))
    r = insertion.replan(q, sequences)
    assert check(q, r) == []
    after = r.assigned()
    assert after[job.id][0] == keep.engineer_id and after[job.id][1].start == first.start
    assert not next(x for x in r.routes if x.engineer_id == busiest.engineer_id).stops
    moved = [j for j, (e, _) in s.assigned().items() if j in after and after[j][0] != e]
    assert set(moved) <= {st.job_id for st in busiest.stops}


def test_a_day_with_too_many_eligibility_sets_for_pyvrp_goes_to_ortools(monkeypatch) -> None:
    p = generate(60, 10, seed=6)
    monkeypatch.setattr(solver, "MATRIX_BUDGET_BYTES", 1000)
    s = solver.solve(p, 0.5)
    assert s.solver == "ortools"
    assert check(p, s) == [] and s.assigned()
