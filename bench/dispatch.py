"""Dispatch planning: our solver (PyVRP) against the greedy baseline and 10x-longer runs of PyVRP
and OR-Tools, on seeded days across a region's sites; and urgent insertion into our plan.

Instances (`opsdesk.dispatch.instances.generate`): 200 work orders / 30 engineers (40 sites) and
1,000 / 150 (120 sites) in a ~100 km box, travel great-circle at 40 km/h; 8 h shifts from
07:00-09:00, some with a 30-minute lunch, a few away half the day; 5 roles x 5 teams (at most 25
eligibility sets); windows of 2-4 h from 08:00-14:00, 30-120 min visits, P1-P4; a fifth of the
sites permit work only 09:00-16:00; ~5 % of the work nobody may do. More work than the
engineers can do in a day, so work is left out: the objective is travel seconds plus the value
of the work left out (VALUE_OF_PRIORITY, in travel seconds; lower is better).

Per instance, one JSON line:
- `ours`: solver.solve with the goal time (5 s at 200 jobs, 30 s at 1,000): wall seconds, the
  wall seconds to its first feasible plan (solve(..., first_feasible=True)), travel and lateness
  minutes, jobs left out, checker violations, objective (minutes).
- `greedy`: the nearest-eligible-engineer baseline (greedy.solve_greedy), the same figures.
- `pyvrp_10x`, `ortools_10x`: PyVRP and OR-Tools (guided local search from the greedy plan)
  with ten times the goal time: travel, left out, objective, violations.
- `gap_to_best_pct`: (ours - best of the two 10x runs) / best x 100 on the objective;
  `travel_reduction_vs_greedy_pct`, `objective_reduction_vs_greedy_pct`.
- `insertion`: --trials urgent P1 break-fix jobs (a 2 h window within 08:00-16:00 at a random
  site, eligible like a normal job there), each added alone to a copy of the problem and
  inserted into our plan by insertion.insert (exact cheapest insertion, moving nothing): p50
  and p95 wall ms, how many found a slot, checker violations of the results.

    .venv/bin/python bench/dispatch.py [--quick] [--seed 1] [--trials 50] [--only 1000x150] [--scale 0.1]

--quick: the 200 instance only, 1 s goal (10 s for the 10x runs), 20 trials: a smoke run.
A full run takes about 12 minutes (each 1,000-job 10x run is 300 s). Single-threaded solvers;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import statistics
import sys
import time
from typing import Any

from opsdesk.dispatch import solver
from opsdesk.dispatch.checker import check
from opsdesk.dispatch.greedy import solve_greedy
from opsdesk.dispatch.instances import generate, urgent_job
from opsdesk.dispatch.ortools_solver import solve_ortools
from opsdesk.dispatch.problem import Problem, Solution, lateness

INSTANCES = ((200, 30, 5.0), (1000, 150, 30.0))  # jobs, engineers, goal seconds
URGENT_ID0 = 1_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def objective(problem: Problem, plan: Solution) -> int:
    """Travel seconds plus the value of every job left out."""
    return plan.travel + sum(problem.job_by_id[j].value for j in plan.unassigned if j in problem.job_by_id)


def figures(problem: Problem, plan: Solution, wall: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if wall is not None:
        out["solve_seconds"] = round(wall, 3)
    out.update(
        travel_minutes=round(plan.travel / 60),
        lateness_minutes=round(lateness(problem, plan) / 60),
        unassigned=len(plan.unassigned),
        checker_violations=len(check(problem, plan)),
        objective_minutes=round(objective(problem, plan) / 60),
    )
    return out


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Solution, float]:
    began = time.perf_counter()
    plan = fn(*args, **kwargs)
    return plan, time.perf_counter() - began


def pct(a: float, b: float) -> float | None:
    """How much a is above b, in % of b."""
    return round((a - b) / b * 100, 1) if b else None


def reduction(a: float, b: float) -> float | None:
    """How much a is below b, in % of b."""
    return round((b - a) / b * 100, 1) if b else None


def insertion_figures(problem: Problem, plan: Solution, seed: int, trials: int) -> dict[str, Any]:
    from opsdesk.dispatch.insertion import insert

    rng = random.Random(f"urgent-{seed}")
    times: list[float] = []
    inserted = violations = 0
    for k in range(trials):
        urgent = urgent_job(problem, seed, rng, URGENT_ID0 + k)
        bigger = dataclasses.replace(problem, jobs=(*problem.jobs, urgent))
        began = time.perf_counter()
        result = insert(bigger, plan, urgent.id)
        times.append((time.perf_counter() - began) * 1000)
        if result is not None:
            inserted += 1
            violations += len(check(bigger, result))
    times.sort()
    return {
        "trials": trials,
        "inserted": inserted,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 2),
        "max_ms": round(times[-1], 2),
        "checker_violations": violations,
    }


def run(jobs: int, engineers: int, goal: float, reference: float, seed: int, trials: int) -> dict[str, Any]:
    name = f"{jobs}x{engineers}"
    problem = generate(jobs, engineers, seed)
    out: dict[str, Any] = {
        "instance": name,
        "seed": seed,
        "jobs": jobs,
        "engineers": engineers,
        "sites": len({j.site_id for j in problem.jobs}),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "goal_seconds": goal,
    }

    log(f"{name}: greedy")
    greedy, wall = timed(solve_greedy, problem)
    out["greedy"] = figures(problem, greedy, wall)

    log(f"{name}: ours, first feasible")
    _, first = timed(solver.solve, problem, goal, seed, first_feasible=True)
    log(f"{name}: ours, {goal:g} s")
    ours, wall = timed(solver.solve, problem, goal, seed)
    out["ours"] = {**figures(problem, ours, wall), "first_feasible_seconds": round(first, 3)}

    log(f"{name}: pyvrp {reference:g} s")
    pv, wall = timed(solver.solve, problem, reference, seed)
    out["pyvrp_10x"] = figures(problem, pv, wall)
    log(f"{name}: ortools {reference:g} s")
    ot, wall = timed(solve_ortools, problem, reference, start=greedy)
    out["ortools_10x"] = figures(problem, ot, wall)

    mine = objective(problem, ours)
    best = min(objective(problem, pv), objective(problem, ot))
    out["gap_to_best_pct"] = pct(mine, best)
    out["travel_reduction_vs_greedy_pct"] = reduction(ours.travel, greedy.travel)
    out["objective_reduction_vs_greedy_pct"] = reduction(mine, objective(problem, greedy))

    log(f"{name}: urgent insertion x{trials}")
    try:
        out["insertion"] = insertion_figures(problem, ours, seed, trials)
    except ImportError as missing:  # insertion.py not there yet
        out["insertion"] = {"error": str(missing)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 200-job instance only, short times")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=50, help="urgent insertions per instance")
    parser.add_argument("--only", choices=[f"{j}x{e}" for j, e, _ in INSTANCES], help="one instance")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the time limits (a rehearsal)")
    args = parser.parse_args()
    if args.quick:
        print(json.dumps(run(200, 30, 1.0, 10.0, args.seed, min(args.trials, 20))), flush=True)
        return
    for jobs, engineers, goal in INSTANCES:
        if args.only in (None, f"{jobs}x{engineers}"):
            limit = goal * args.scale
            print(json.dumps(run(jobs, engineers, limit, 10 * limit, args.seed, args.trials)), flush=True)


if __name__ == "__main__":
    main()
