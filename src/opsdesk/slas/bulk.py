"""Recompute the stored SLA clocks of many work orders at once (a million in seconds).

Used by `opsdesk sla recompute` (after a restore, an import, a calendar change), by the demo
after its bulk load, and by bench/sla.py. It gives exactly the rows `slas.recompute.recompute`
gives (tests compare them), but stays in epoch seconds and plain tuples: work orders with their
compact state history (SlaHistory, one short text per work order, kept by every change) and the
stored rows are read per id range with one query each, clocks are computed with
`rules.clocks_of` (all targets of a work order in one pass), and only rows that differ from the
stored ones are written. Where a work order has no compact history (bulk-loaded), or with
`from_timeline`, its "created" and "transitioned" timeline entries are read instead (the state
pairs extracted by the database's JSON functions; several times slower: every entry is a row)
and the compact history written. Ranges are shared among processes, one per core.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from opsdesk.core import clock as core_clock
from opsdesk.sites.businesstime import TWENTY_FOUR_SEVEN, Calendar
from opsdesk.sites.models import Site
from opsdesk.workorders.models import WorkOrder

from .clocks import goals_of, status_of
from .models import SlaClockState, SlaHistory, SlaPolicy
from .queries import candidate_policies, site_calendar
from .rules import Clock, clocks_of
from .targets import (
    WORK_ORDER,
    WORK_ORDER_LEVELS,
    choose_policy,
    decode_history,
    encode_history,
    history_of,
)

CHUNK = 20_000
# (target) -> (policy, client, site, status, target minutes, elapsed minutes, due, settled, next check)
Row = tuple[int | None, int | None, int | None, str, int, float, float | None, float | None, float | None]


@dataclass
class Figures:
    """What a bulk recompute did, and where its time went (seconds, summed over processes)."""

    work_orders: int = 0
    rows: int = 0
    written: int = 0
    deleted: int = 0
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    wall_s: float = 0.0
    processes: int = 1
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        for name in ("work_orders", "rows", "written", "deleted", "read_s", "compute_s", "write_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for status, n in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + n


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, 2)


def state_row(c: Clock, stopped_by: str | None,
              history_length: int) -> tuple[str, float, float | None, float | None, float | None]:
    """(status, elapsed minutes, due, settled, next check) of a clock, as slas.recompute stores it."""
    status = status_of(c, stopped_by, history_length)
    settled = c.stopped_at if status == "met" else (c.breached_at or c.stopped_at) if status == "breached" else None
    next_check = c.at_risk_at if status == "running" else c.due_at if status == "at_risk" else None
    return status, _minutes(c.elapsed_s), c.due_at, settled, next_check


def _epoch_sql(column: str) -> str:
    """SQL for a datetime column as POSIX seconds (microseconds kept)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    # SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (%% is the driver's escape of %, as values are bound).
    return f"(CAST(strftime('%%s', {column}) AS REAL) + COALESCE(CAST(substr({column}, 20) AS REAL), 0.0))"


def _state_pair_sql() -> str:
    """The transition's state pair: two columns on PostgreSQL; on SQLite one, the pair's JSON text
    (one extraction instead of two; split by `_pair`, states being slugs)."""
    if connection.vendor == "postgresql":
        return "changes->'state'->>0, changes->'state'->>1"
    return "json_extract(changes, '$.state'), NULL"


def _pair(before: str | None, after: str | None) -> tuple[str | None, str | None]:
    """(before, after) from the columns `_state_pair_sql` selects."""
    if after is not None or before is None:
        return before, after
    if before.startswith('["') and before.endswith('"]'):  # SQLite: '["a","b"]'
        parts = before[2:-2].split('","')
        if len(parts) == 2:
            return parts[0], parts[1]
    return None, None


# The SQL below is built only from constant fragments (per database vendor); values are bound.
def _read(lo: int, hi: int, from_timeline: bool) -> tuple[list[tuple[Any, ...]], dict[tuple[int, str], tuple[Any, ...]]]:
    """Work orders with ids in [lo, hi) with their compact state history (None: none stored, or
    `from_timeline`), and their stored clock rows."""
    history = "NULL" if from_timeline else "h.entries"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT w.id, w.client_id, w.site_id, w.priority, w.category, w.state, {_epoch_sql('w.created_at')}, "  # noqa: S608
            f"{history} FROM workorders_workorder w LEFT JOIN slas_slahistory h "
            "ON h.kind = %s AND h.object_id = w.id WHERE w.id >= %s AND w.id < %s ORDER BY w.id", [WORK_ORDER, lo, hi])
        work_orders = cur.fetchall()
        cur.execute(
            f"SELECT object_id, target, policy_id, client_id, site_id, status, target_minutes, elapsed_minutes, "  # noqa: S608
            f"{_epoch_sql('due_at')}, {_epoch_sql('settled_at')}, {_epoch_sql('next_check_at')} "
            "FROM slas_slaclockstate WHERE kind = %s AND object_id >= %s AND object_id < %s",
            [WORK_ORDER, lo, hi])
        stored = {(r[0], r[1]): tuple(r[2:]) for r in cur.fetchall()}
    return work_orders, stored


def _timeline(lo: int, hi: int, content_type: int) -> dict[int, list[tuple[Any, ...]]]:
    """The 'created' and 'transitioned' timeline entries of the work orders with ids in [lo, hi)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT object_id, verb, {_epoch_sql('at')}, {_state_pair_sql()} FROM core_activity "  # noqa: S608
            "WHERE content_type_id = %s AND object_id >= %s AND object_id < %s AND verb IN ('created', 'transitioned') "
            "ORDER BY object_id, at, id", [content_type, lo, hi])
        entries: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in cur.fetchall():
            entries[row[0]].append(row)
    return entries


class _Context:
    """Policies and calendars, loaded once per process and memoised per key."""

    def __init__(self) -> None:
        self.policies = candidate_policies(WORK_ORDER, WORK_ORDER_LEVELS)
        self._chosen: dict[tuple[int, str, str], SlaPolicy | None] = {}
        self._goals: dict[int, list[tuple[str, int, frozenset[str]]]] = {}
        self._goal_seconds: dict[int, list[tuple[float, frozenset[str]]]] = {}
        self._pauses: dict[int, frozenset[str]] = {}
        self._calendars: dict[int, Calendar] = {}

    def policy(self, client: int, priority: str, category: str) -> SlaPolicy | None:
        key = (client, priority, category)
        if key not in self._chosen:
            self._chosen[key] = choose_policy(self.policies, client_ids=[client], level=priority, category=category)
            chosen = self._chosen[key]
            if chosen is not None and chosen.pk not in self._goals:
                self._goals[chosen.pk] = goals_of(WORK_ORDER, chosen)
                self._goal_seconds[chosen.pk] = [(m * 60.0, stops) for _n, m, stops in self._goals[chosen.pk]]
                self._pauses[chosen.pk] = frozenset(chosen.pause_states or ())
        return self._chosen[key]

    def calendar(self, policy: SlaPolicy, site_id: int) -> Calendar:
        if not policy.business_hours:
            return TWENTY_FOUR_SEVEN
        if site_id not in self._calendars:
            site = Site.objects.filter(pk=site_id).first()
            self._calendars[site_id] = site_calendar(site) if site is not None else TWENTY_FOUR_SEVEN
        return self._calendars[site_id]


def _history(created_at: float, entries: list[tuple[Any, ...]], current: str) -> list[tuple[float, str]]:
    """As queries.state_histories builds it: from the first 'created' entry (else the row's
    created_at) and the transitions' state pairs."""
    start = None
    transitions = []
    for _pk, verb, at, before, after in entries:
        if verb == "created":
            if start is None:
                start = at
        else:
            before, after = _pair(before, after)
            if before is not None and after is not None:
                transitions.append((at, before, after))
    return history_of(created_at if start is None else start, transitions, current)


def _compute(work_orders: list[tuple[Any, ...]], timeline: dict[int, list[tuple[Any, ...]]], ctx: _Context,
             now: float) -> tuple[dict[tuple[int, str], Row], dict[int, str]]:
    """The clock rows of the work orders, and the compact histories rebuilt from the timeline
    (for those that had none)."""
    out: dict[tuple[int, str], Row] = {}
    rebuilt: dict[int, str] = {}
    for pk, client, site, priority, category, state, created, stored_history in work_orders:
        if stored_history is None:
            history = _history(created, timeline.get(pk, []), state)
            rebuilt[pk] = encode_history(history)
        else:
            history = decode_history(stored_history)
        policy = ctx.policy(client, priority, category)
        if policy is None:
            continue
        goals = ctx._goals[policy.pk]
        if not history:  # a draft: nothing has started
            for name, minutes, _stops in goals:
                out[pk, name] = (policy.pk, client, site, "not_started", minutes, 0.0, None, None, None)
            continue
        clocks = clocks_of(history, ctx._goal_seconds[policy.pk], calendar=ctx.calendar(policy, site),
                           pause_states=ctx._pauses[policy.pk], now=now)
        for (name, minutes, _stops), (c, stopped_by) in zip(goals, clocks, strict=True):
            status, elapsed, due, settled, next_check = state_row(c, stopped_by, len(history))
            out[pk, name] = (policy.pk, client, site, status, minutes, elapsed, due, settled, next_check)
    return out, rebuilt


def _same(a: Row, b: tuple[Any, ...]) -> bool:
    """Whether a computed row equals the stored one (instants to the microsecond)."""
    if a[:5] != tuple(b[:5]) or abs(a[5] - b[5]) > 1e-9:
        return False
    for x, y in zip(a[6:], b[6:], strict=True):
        if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-5):
            return False
    return True


def _at(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(round(epoch, 6), dt.UTC)


def _write(changed: dict[tuple[int, str], Row], stale: list[tuple[int, str]], rebuilt: dict[int, str],
           now: dt.datetime) -> None:
    with transaction.atomic():
        SlaHistory.objects.bulk_create(
            [SlaHistory(kind=WORK_ORDER, object_id=pk, entries=text) for pk, text in rebuilt.items()],
            batch_size=1000, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=["entries"])
        if stale:
            for pk, target in stale:
                SlaClockState.objects.filter(kind=WORK_ORDER, object_id=pk, target=target).delete()
        SlaClockState.objects.bulk_create(
            [SlaClockState(kind=WORK_ORDER, object_id=pk, target=target, policy_id=r[0], client_id=r[1],
                           site_id=r[2], status=r[3], target_minutes=r[4], elapsed_minutes=r[5], due_at=_at(r[6]),
                           settled_at=_at(r[7]), next_check_at=_at(r[8]), computed_at=now)
             for (pk, target), r in changed.items()],
            batch_size=1000, update_conflicts=True, unique_fields=["kind", "object_id", "target"],
            update_fields=["policy", "client", "site", "status", "target_minutes", "elapsed_minutes", "due_at",
                           "settled_at", "next_check_at", "computed_at"],
        )


def recompute_range(lo: int, hi: int, now: dt.datetime, write: bool = True, from_timeline: bool = False) -> Figures:
    """Recompute the work orders with ids in [lo, hi) at `now` from their compact histories (the
    timeline for those without one, or for all with `from_timeline`); write what changed."""
    figures = Figures()
    ctx = _Context()
    content_type = ContentType.objects.get_for_model(WorkOrder).pk
    for start in range(lo, hi, CHUNK):
        end = min(hi, start + CHUNK)
        t0 = time.perf_counter()
        work_orders, stored = _read(start, end, from_timeline)
        missing = any(row[7] is None for row in work_orders)
        timeline = _timeline(start, end, content_type) if missing else {}
        t1 = time.perf_counter()
        computed, rebuilt = _compute(work_orders, timeline, ctx, now.timestamp())
        changed = {key: row for key, row in computed.items() if key not in stored or not _same(row, stored[key])}
        stale = [key for key in stored if key not in computed]
        t2 = time.perf_counter()
        if write and (changed or stale or rebuilt):
            _write(changed, stale, rebuilt, now)
        t3 = time.perf_counter()
        figures.work_orders += len(work_orders)
        figures.rows += len(computed)
        figures.written += len(changed)
        figures.deleted += len(stale)
        figures.read_s += t1 - t0
        figures.compute_s += t2 - t1
        figures.write_s += t3 - t2
        for row in computed.values():
            figures.by_status[row[3]] = figures.by_status.get(row[3], 0) + 1
    return figures


def _ranges(lo: int, hi: int, parts: int) -> Iterator[tuple[int, int]]:
    step = max(1, -(-(hi - lo) // parts))
    for start in range(lo, hi, step):
        yield start, min(hi, start + step)


def _in_child(lo: int, hi: int, now: dt.datetime, write: bool, from_timeline: bool) -> Figures:
    connections.close_all()  # never share the parent's connection
    try:
        return recompute_range(lo, hi, now, write, from_timeline)
    finally:
        connections.close_all()


def _in_memory() -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return connection.vendor == "sqlite" and (name in ("", ":memory:") or "mode=memory" in name)


def recompute_all(*, processes: int | None = None, write: bool = True, now: dt.datetime | None = None,
                  from_timeline: bool = False) -> Figures:
    """Recompute every work order's stored clocks at `now` (default core.clock.now()), sharing the
    id range among `processes` (default: one per core; 1 runs in this process). Histories come
    from SlaHistory, or from the timeline where there is none or with `from_timeline` (which
    rewrites the compact histories too)."""
    now = now or core_clock.now()
    started = time.perf_counter()
    bounds = WorkOrder.objects.order_by("id").values_list("id", flat=True)
    first, last = bounds.first(), bounds.last()
    total = Figures(processes=1)
    if first is None or last is None:
        return total
    processes = max(1, processes or os.cpu_count() or 1)
    if connection.in_atomic_block or _in_memory():
        processes = 1  # other processes would not see this transaction's rows, or this database
    if processes == 1 or last - first < CHUNK:
        total.add(recompute_range(first, last + 1, now, write, from_timeline))
    else:
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            parts = pool.starmap(_in_child, [(lo, hi, now, write, from_timeline)
                                             for lo, hi in _ranges(first, last + 1, processes)])
        for part in parts:
            total.add(part)
        total.processes = processes
    total.wall_s = time.perf_counter() - started
    return total
