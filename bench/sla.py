"""Business-time queries per second on one core, beside the per-ticket library businesstimedelta.

The calendar is a London site's: Mon-Fri 08:00-18:00 in Europe/London, England's bank holidays
from the `holidays` library (`sites.rules.calendar_for`). Queries start at random instants over
2026-2027 (so across both DST changes of each year and Christmas): `elapsed` to an end 1 minute
to 30 days later (log-uniform), `due` for 1 minute to 10 business days (log-uniform); with no
pause and with 10 ordered pauses (as a state history gives them) inside the span. Timed through
the epoch-seconds API (`Calendar.elapsed_s` / `due_s`, what a bulk recompute calls) and the
datetime API (`businesstime.elapsed` / `due`); best of three passes, pinned to one CPU.

The peer, businesstimedelta 1.0.1 (PyPI; WorkDayRule + HolidayRule, pytz), is installed on
demand into a throw-away venv and runs the same queries (the first --peer-queries of them, at
most --peer-seconds per kind) in a subprocess; pauses there are what a user of it would do: one
`difference` per unpaused stretch, and `due` walked stretch by stretch. Answers are compared.
Prints one JSON line; progress goes to stderr.

    .venv/bin/python bench/sla.py [--queries 200000] [--peer-queries 2000] [--no-peer] [--peer-venv DIR]
                                  [--work-orders 1000000] [--database-url URL]

Then (first, on every core) `recompute`: the stored SLA clocks of --work-orders work orders
recomputed from their state histories in the database (bench/sla_recompute.py; goal < 10 s for
1,000,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsdesk.sites import businesstime, rules

UTC = dt.UTC
ZONE, COUNTRY, SUBDIVISION = "Europe/London", "GB", "ENG"
FIRST = dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
LAST = dt.datetime(2028, 1, 1, tzinfo=UTC).timestamp()
DAY = 86400
PEER = "businesstimedelta==1.0.1"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setting() -> dict[str, str]:
    """The machine the figures were measured on."""
    return {"machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"}


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def ordered_pauses(rng: random.Random, a: float, b: float, n: int = 10) -> list[tuple[float, float]]:
    """n disjoint pauses inside [a, b], in order, at whole seconds."""
    points = sorted(float(round(rng.uniform(a, b))) for _ in range(2 * n))
    return list(zip(points[::2], points[1::2], strict=True))


def workload(n: int, seed: int = 6) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    starts = [float(round(rng.uniform(FIRST, LAST))) for _ in range(n)]
    ends = [a + round(log_uniform(rng, 60, 30 * DAY)) for a in starts]
    amounts = [round(log_uniform(rng, 60, 10 * 10 * 3600)) for _ in range(n)]
    return {
        "starts": starts,
        "ends": ends,
        "amounts": amounts,
        "pauses": [ordered_pauses(rng, a, b) for a, b in zip(starts, ends, strict=True)],
        # pauses for due: somewhere in the 2 weeks after the start
        "due_pauses": [ordered_pauses(rng, a, a + 14 * DAY) for a in starts],
    }


def best_of(passes: int, run: Callable[[], object], count: int) -> dict[str, float]:
    """The fastest of `passes` runs: queries per second and microseconds per query."""
    best = math.inf
    for _ in range(passes):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return {"per_s": round(count / best), "us": round(best / count * 1e6, 3)}


def ours(w: dict[str, list[Any]], passes: int) -> dict[str, Any]:
    cold = time.perf_counter()
    cal = rules.calendar_for(ZONE, rules.default_business_hours(), COUNTRY, SUBDIVISION)
    cal.elapsed_s(FIRST, LAST + 40 * DAY)  # the two years and the spill-over of the last queries
    build_ms = (time.perf_counter() - cold) * 1000
    starts, ends, amounts, pauses, due_pauses = w["starts"], w["ends"], w["amounts"], w["pauses"], w["due_pauses"]
    n = len(starts)
    el, du = cal.elapsed_s, cal.due_s
    figures: dict[str, Any] = {"build_two_years_ms": round(build_ms, 1)}
    log(f"ours: epoch API, {n} queries x 4 kinds")
    figures["elapsed"] = best_of(passes, lambda: [el(a, b) for a, b in zip(starts, ends, strict=True)], n)
    figures["elapsed_10_pauses"] = best_of(
        passes, lambda: [el(a, b, p) for a, b, p in zip(starts, ends, pauses, strict=True)], n)
    figures["due"] = best_of(passes, lambda: [du(a, s) for a, s in zip(starts, amounts, strict=True)], n)
    figures["due_10_pauses"] = best_of(
        passes, lambda: [du(a, s, p) for a, s, p in zip(starts, amounts, due_pauses, strict=True)], n)

    log("ours: datetime API")
    when = lambda t: dt.datetime.fromtimestamp(t, UTC)  # noqa: E731
    d_starts, d_ends = [when(a) for a in starts], [when(b) for b in ends]
    d_pauses = [[(when(s), when(e)) for s, e in p] for p in pauses]
    d_due_pauses = [[(when(s), when(e)) for s, e in p] for p in due_pauses]
    elapsed, due = businesstime.elapsed, businesstime.due
    figures["datetime_api"] = {
        "elapsed": best_of(passes, lambda: [elapsed(cal, a, b) for a, b in zip(d_starts, d_ends, strict=True)], n),
        "elapsed_10_pauses": best_of(passes, lambda: [
            elapsed(cal, a, b, p) for a, b, p in zip(d_starts, d_ends, d_pauses, strict=True)], n),
        "due": best_of(passes, lambda: [due(cal, a, s) for a, s in zip(d_starts, amounts, strict=True)], n),
        "due_10_pauses": best_of(passes, lambda: [
            due(cal, a, s, p) for a, s, p in zip(d_starts, amounts, d_due_pauses, strict=True)], n),
    }
    figures["_answers"] = {
        "elapsed": [el(a, b) for a, b in zip(starts, ends, strict=True)],
        "elapsed_10_pauses": [el(a, b, p) for a, b, p in zip(starts, ends, pauses, strict=True)],
        "due": [du(a, s) for a, s in zip(starts, amounts, strict=True)],
        "due_10_pauses": [du(a, s, p) for a, s, p in zip(starts, amounts, due_pauses, strict=True)],
    }
    return figures


PEER_SCRIPT = r'''
import datetime, json, sys, time
import pytz
from businesstimedelta import BusinessTimeDelta, HolidayRule, Rules, WorkDayRule

job = json.load(sys.stdin)
tz = pytz.timezone(job["zone"])
utc = datetime.timezone.utc
work = WorkDayRule(start_time=datetime.time(8), end_time=datetime.time(18), working_days=[0, 1, 2, 3, 4], tz=tz)
closed = HolidayRule({datetime.date.fromisoformat(d) for d in job["holidays"]}, tz=tz)
rule = Rules([work, closed])
when = lambda t: datetime.datetime.fromtimestamp(t, utc)

def elapsed(a, b, pauses):
    if not pauses:
        return rule.difference(a, b).timedelta.total_seconds()
    total, at = 0.0, a
    for ps, pe in pauses:  # one difference per unpaused stretch
        total += rule.difference(at, ps).timedelta.total_seconds()
        at = pe
    return total + rule.difference(at, b).timedelta.total_seconds()

def due(a, n, pauses):
    at, left = a, n
    for ps, pe in pauses:  # stretch by stretch up to each pause
        if ps <= at:
            at = max(at, pe)
            continue
        have = rule.difference(at, ps).timedelta.total_seconds()
        if have >= left:
            break
        left -= have
        at = pe
    return at + BusinessTimeDelta(rule, seconds=left) if left else at

def timed(kind, call, args):
    out, started = [], time.perf_counter()
    for item in args:
        out.append(call(*item))
        if time.perf_counter() - started > job["seconds"]:
            break
    spent = time.perf_counter() - started
    return {"queries": len(out), "per_s": round(len(out) / spent, 1), "us": round(spent / len(out) * 1e6, 1)}, out

s, e, n = [when(t) for t in job["starts"]], [when(t) for t in job["ends"]], job["amounts"]
p = [[(when(a), when(b)) for a, b in x] for x in job["pauses"]]
q = [[(when(a), when(b)) for a, b in x] for x in job["due_pauses"]]
result = {}
for kind, call, args in (
    ("elapsed", elapsed, [(a, b, []) for a, b in zip(s, e)]),
    ("elapsed_10_pauses", elapsed, list(zip(s, e, p))),
    ("due", due, [(a, x, []) for a, x in zip(s, n)]),
    ("due_10_pauses", due, list(zip(s, n, q))),
):
    figures, answers = timed(kind, call, args)
    if kind.startswith("due"):
        answers = [a.timestamp() for a in answers]
    result[kind] = {"figures": figures, "answers": answers}
print(json.dumps(result))
'''


def peer(w: dict[str, list[Any]], args: argparse.Namespace) -> dict[str, Any]:
    venv = Path(args.peer_venv) if args.peer_venv else Path(tempfile.mkdtemp(prefix="opsdesk-bench-btd-")) / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"installing {PEER} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PEER], check=True, capture_output=True)  # noqa: S603
    k = args.peer_queries
    holidays = [d.isoformat() for d, _ in rules.holidays_between(COUNTRY, SUBDIVISION, dt.date(2025, 1, 1), dt.date(2030, 12, 31))]
    job = {"zone": ZONE, "holidays": holidays, "seconds": args.peer_seconds,
           **{key: values[:k] for key, values in w.items()}}
    log(f"peer: {PEER}, up to {k} queries or {args.peer_seconds} s per kind")
    try:
        done = subprocess.run([str(python), "-c", PEER_SCRIPT], input=json.dumps(job), check=True,  # noqa: S603
                              capture_output=True, text=True)
    finally:
        if not args.peer_venv:
            shutil.rmtree(venv.parent, ignore_errors=True)
    return json.loads(done.stdout)


def agreement(ours_answers: list[float | None], theirs: list[float]) -> float:
    same = sum(1 for a, b in zip(ours_answers, theirs, strict=False) if a is not None and abs(a - b) <= 1)
    return round(same / max(1, len(theirs)), 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--peer-queries", type=int, default=2000)
    parser.add_argument("--peer-seconds", type=float, default=20.0, help="at most this long per kind of peer query")
    parser.add_argument("--peer-venv", help="reuse (or create and keep) the peer's venv here")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--work-orders", type=int, default=1_000_000,
                        help="work orders for the recompute figure (bench/sla_recompute.py); 0: skip it")
    parser.add_argument("--database-url", help="recompute on this empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    # First, on every core: recomputing the stored clocks of N work orders from the database.
    recompute = recompute_figures(args) if args.work_orders else None
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})  # one core
    log(f"workload: {args.queries} queries over 2026-2027 in {ZONE}")
    w = workload(args.queries)
    figures: dict[str, Any] = {
        "benchmark": "sla",
        **setting(),
        "calendar": f"{ZONE}, Mon-Fri 08:00-18:00, holidays {COUNTRY}-{SUBDIVISION}",
        "queries": args.queries,
        "goal_us": {"no_pause": 2, "10_pauses": 5},
        "ours": ours(w, args.passes),
    }
    answers = figures["ours"].pop("_answers")
    if not args.no_peer:
        theirs = peer(w, args)
        figures["businesstimedelta"] = {kind: value["figures"] for kind, value in theirs.items()}
        figures["businesstimedelta_agrees"] = {
            kind: agreement(answers[kind], value["answers"]) for kind, value in theirs.items()}
        # both take datetimes: the like-for-like ratio; the epoch API is what bulk recomputes call
        figures["ratio_datetime_api"] = {
            kind: round(value["figures"]["us"] / figures["ours"]["datetime_api"][kind]["us"])
            for kind, value in theirs.items()}
        figures["ratio_epoch_api"] = {
            kind: round(value["figures"]["us"] / figures["ours"][kind]["us"]) for kind, value in theirs.items()}
    figures["recompute"] = recompute
    if recompute is not None:
        figures["goal_recompute_s"] = 10 * recompute["recompute_work_orders"] / 1_000_000
    print(json.dumps(figures))


def recompute_figures(args: argparse.Namespace) -> dict[str, Any]:
    """bench/sla_recompute.py's figures (it builds its own database; its progress goes to stderr)."""
    command = [sys.executable, str(Path(__file__).with_name("sla_recompute.py")), "--work-orders", str(args.work_orders)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    log(f"recompute: {args.work_orders:,} work orders")
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
