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
and the compact history written. SlaHistory also keeps a digest of the clock rows last written
(their JSON): a work order whose new rows encode to the same text is unchanged at the cost of one
string comparison, without reading its stored rows (where the digest is unknown, written by the
per-change path, they are read and compared). `from_timeline` ignores both, so it also repairs
stored rows edited or deleted behind the digest's back. Ranges are shared among processes, one
per core.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from opsdesk.core import clock as core_clock
from opsdesk.sites.businesstime import TWENTY_FOUR_SEVEN, Calendar
from opsdesk.sites.models import Site
from opsdesk.workorders.models import WorkOrder

from .clocks import goals_of, status_of, wait_goals
from .models import SlaClockState, SlaHistory
from .pauses import PARTY_OF_OWNER, parties_of
from .queries import candidate_policies, site_calendar
from .rules import Clock, clocks_of
from .targets import (
    WORK_ORDER,
    WORK_ORDER_LEVELS,
    choose_policy,
    decode_history,
    encode_history,
    history_of,
    settled_and_next,
)

CHUNK = 20_000


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


def state_row(c: Clock, stopped_by: str | None, history_length: int,
              minutes: int) -> tuple[str, int, float, float | None, float | None, float | None, float]:
    """(status, target minutes, elapsed minutes, due, settled, next check, paused minutes) of a
    clock, as slas.recompute stores it."""
    status = status_of(c, stopped_by, history_length)
    settled, next_check = settled_and_next(status, stopped_at=c.stopped_at, breached_at=c.breached_at,
                                           at_risk_at=c.at_risk_at, due_at=c.due_at)
    return status, minutes, _minutes(c.elapsed_s), c.due_at, settled, next_check, _minutes(c.paused_s)


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
def _read(lo: int, hi: int, from_timeline: bool) -> list[tuple[Any, ...]]:
    """Work orders with ids in [lo, hi) with their compact state history and the digest of their
    stored clock rows (None: none stored or unknown; both None with `from_timeline`)."""
    history, digest = ("NULL", "NULL") if from_timeline else ("h.entries", "h.clocks")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT w.id, w.client_id, w.site_id, w.priority, w.category, w.state, {_epoch_sql('w.created_at')}, "  # noqa: S608
            f"{history}, {digest} FROM workorders_workorder w LEFT JOIN slas_slahistory h "
            "ON h.kind = %s AND h.object_id = w.id WHERE w.id >= %s AND w.id < %s ORDER BY w.id", [WORK_ORDER, lo, hi])
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows


def _stored(lo: int, hi: int) -> dict[int, dict[str, list[Any]]]:
    """The stored clock rows of the work orders with ids in [lo, hi), by id and target, in the
    shape `_compute` gives them."""
    out: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT object_id, target, policy_id, client_id, site_id, status, target_minutes, elapsed_minutes, "  # noqa: S608
            f"{_epoch_sql('due_at')}, {_epoch_sql('settled_at')}, {_epoch_sql('next_check_at')}, paused_minutes "
            "FROM slas_slaclockstate WHERE kind = %s AND object_id >= %s AND object_id < %s",
            [WORK_ORDER, lo, hi])
        for row in cur.fetchall():
            out[row[0]][row[1]] = list(row[1:])
    return out


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


class _Plan(NamedTuple):
    """What computing one policy's clocks needs, resolved once."""

    policy_id: int
    goals: list[tuple[str, int, frozenset[str]]]  # (target, minutes, stop states)
    goal_seconds: list[tuple[float, frozenset[str]]]
    pauses: frozenset[str]
    business_hours: bool
    parties: frozenset[str]  # whose blocker spells hold the goals at `held`
    held: frozenset[int]


class _Context:
    """Policies and calendars, loaded once per process and memoised per key."""

    def __init__(self) -> None:
        self.policies = candidate_policies(WORK_ORDER, WORK_ORDER_LEVELS)
        self._plans: dict[tuple[int, str, str], _Plan | None] = {}
        self._calendars: dict[int, Calendar] = {}

    def plan(self, client: int, priority: str, category: str) -> _Plan | None:
        """The plan of the policy that applies (None: none does)."""
        key = (client, priority, category)
        if key not in self._plans:
            chosen = choose_policy(self.policies, client_ids=[client], level=priority, category=category)
            if chosen is None:
                self._plans[key] = None
            else:
                goals = goals_of(WORK_ORDER, chosen)
                self._plans[key] = _Plan(chosen.pk, goals, [(m * 60.0, stops) for _n, m, stops in goals],
                                         frozenset(chosen.pause_states or ()), chosen.business_hours,
                                         parties_of(chosen), wait_goals(goals))
        return self._plans[key]

    def calendar(self, plan: _Plan, site_id: int) -> Calendar:
        if not plan.business_hours:
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


def _spells(lo: int, hi: int) -> dict[int, list[tuple[str, float, float | None]]]:
    """The blocker spells of pausing parties (client, third party) of the work orders with ids in [lo, hi)."""
    out: dict[int, list[tuple[str, float, float | None]]] = defaultdict(list)
    owners = list(PARTY_OF_OWNER)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT work_order_id, owner, {_epoch_sql('opened_at')}, {_epoch_sql('closed_at')} "  # noqa: S608
            f"FROM workorders_blockerspell WHERE work_order_id >= %s AND work_order_id < %s "
            f"AND owner IN ({', '.join(['%s'] * len(owners))}) ORDER BY work_order_id, opened_at, id",
            [lo, hi, *owners])
        for pk, owner, opened, closed in cur.fetchall():
            out[pk].append((PARTY_OF_OWNER[owner], opened, closed))
    return out


def _compute(work_orders: list[tuple[Any, ...]], timeline: dict[int, list[tuple[Any, ...]]], ctx: _Context,
             now: float, spells: dict[int, list[tuple[str, float, float | None]]] | None = None,
             ) -> tuple[dict[int, list[list[Any]]], dict[int, str]]:
    """Each work order's clock rows ([target, policy, client, site, status, minutes, elapsed,
    due, settled, next check], none without a policy), and the compact histories rebuilt from the
    timeline (for those that had none)."""
    out: dict[int, list[list[Any]]] = {}
    rebuilt: dict[int, str] = {}
    for pk, client, site, priority, category, state, created, stored_history, _digest in work_orders:
        history: Any
        if stored_history is None:
            history = _history(created, timeline.get(pk, []), state)
            rebuilt[pk] = encode_history(history)
        else:
            history = decode_history(stored_history)
        plan = ctx.plan(client, priority, category)
        if plan is None:
            out[pk] = []
            continue
        if not history:  # a draft: nothing has started
            out[pk] = [[name, plan.policy_id, client, site, "not_started", minutes, 0.0, None, None, None, 0.0]
                       for name, minutes, _stops in plan.goals]
            continue
        waits = [(a, b) for party, a, b in (spells or {}).get(pk, ()) if party in plan.parties]
        clocks = clocks_of(history, plan.goal_seconds, calendar=ctx.calendar(plan, site), pause_states=plan.pauses,
                           now=now, waits=waits, wait_goals=plan.held)
        n = len(history)
        out[pk] = [[name, plan.policy_id, client, site, *state_row(c, stopped_by, n, minutes)]
                   for (name, minutes, _stops), (c, stopped_by) in zip(plan.goals, clocks, strict=True)]
    return out, rebuilt


def _same(a: list[Any], b: list[Any]) -> bool:
    """Whether a computed row equals the stored one (instants to the microsecond)."""
    if a == b:
        return True
    if a[:6] != b[:6] or abs(a[6] - b[6]) > 1e-9:
        return False
    for x, y in zip(a[7:], b[7:], strict=True):
        if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-5):
            return False
    return True


def _at(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(round(epoch, 6), dt.UTC)


@dataclass
class _Changes:
    """What one id range writes: clock rows, targets to drop, compact histories and digests."""

    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    stale: list[tuple[int, str]] = field(default_factory=list)
    histories: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (entries, clocks digest)


def _diff(work_orders: list[tuple[Any, ...]], computed: dict[int, list[list[Any]]], rebuilt: dict[int, str],
          lo: int, hi: int) -> _Changes:
    """What to write: a work order whose rows encode to its stored digest is unchanged (one string
    comparison); where the digest is unknown, its stored rows are read and compared row by row."""
    changes = _Changes()
    unknown = [row[0] for row in work_orders if not row[8]]
    stored = _stored(lo, hi) if unknown else {}
    for pk, _client, _site, _priority, _category, _state, _created, history, old in work_orders:
        rows = computed[pk]
        digest = orjson.dumps(rows).decode()
        if pk in rebuilt or digest != old:
            changes.histories[pk] = (rebuilt.get(pk, history), digest)
        if digest == old:
            continue
        before = {row[0]: row for row in orjson.loads(old)} if old else stored.get(pk, {})
        changes.rows += [(pk, row) for row in rows if row[0] not in before or not _same(row, before[row[0]])]
        targets = {row[0] for row in rows}
        changes.stale += [(pk, target) for target in before if target not in targets]
    return changes


def _write(changes: _Changes, now: dt.datetime) -> None:
    with transaction.atomic():
        SlaHistory.objects.bulk_create(
            [SlaHistory(kind=WORK_ORDER, object_id=pk, entries=entries, clocks=digest)
             for pk, (entries, digest) in changes.histories.items()],
            batch_size=1000, update_conflicts=True, unique_fields=["kind", "object_id"],
            update_fields=["entries", "clocks"])
        for pk, target in changes.stale:
            SlaClockState.objects.filter(kind=WORK_ORDER, object_id=pk, target=target).delete()
        SlaClockState.objects.bulk_create(
            [SlaClockState(kind=WORK_ORDER, object_id=pk, target=r[0], policy_id=r[1], client_id=r[2], site_id=r[3],
                           status=r[4], target_minutes=r[5], elapsed_minutes=r[6], due_at=_at(r[7]),
                           settled_at=_at(r[8]), next_check_at=_at(r[9]), paused_minutes=r[10], computed_at=now)
             for pk, r in changes.rows],
            batch_size=1000, update_conflicts=True, unique_fields=["kind", "object_id", "target"],
            update_fields=["policy", "client", "site", "status", "target_minutes", "elapsed_minutes", "paused_minutes", "due_at",
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
        work_orders = _read(start, end, from_timeline)
        missing = any(row[7] is None for row in work_orders)
        timeline = _timeline(start, end, content_type) if missing else {}
        t1 = time.perf_counter()
        spells = _spells(start, end)
        computed, rebuilt = _compute(work_orders, timeline, ctx, now.timestamp(), spells)
        changes = _diff(work_orders, computed, rebuilt, start, end)
        t2 = time.perf_counter()
        if write and (changes.rows or changes.stale or changes.histories):
            _write(changes, now)
        t3 = time.perf_counter()
        figures.work_orders += len(work_orders)
        figures.rows += sum(len(rows) for rows in computed.values())
        figures.written += len(changes.rows)
        figures.deleted += len(changes.stale)
        figures.read_s += t1 - t0
        figures.compute_s += t2 - t1
        figures.write_s += t3 - t2
        for rows in computed.values():
            for row in rows:
                figures.by_status[row[4]] = figures.by_status.get(row[4], 0) + 1
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
