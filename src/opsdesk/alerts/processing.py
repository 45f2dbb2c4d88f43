"""Accepted raw events become alerts: dedup, resolve, flapping, mapping to services and sites,
maintenance periods. Run by the worker (`alerts.tasks.process_pending`, every second) in batches.

One batch is one transaction: read the oldest pending RawEvents (up to MAX_SIGNALS alerts), apply
their signals in arrival order per (integration, key), write the alerts in bulk, mark the events
processed, and publish `AlertsProcessed` for incidents to correlate. One processor at a time (an
advisory lock on PostgreSQL, the claim of the rows on SQLite), so order holds with several
workers. A crash before the commit leaves the events pending; processing them again gives the
same result.
A delivery whose body repeats its integration's previous one within five minutes (a sender's
retry after a lost answer) is marked processed without effect; any other repeat of a trigger
updates the open alert with its key and counts, so a retry never makes a second alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, transaction

from opsdesk.core import clock, schedule
from opsdesk.core.events import publish
from opsdesk.core.queries import id_list, insert_rows, text_list, value_rows

from . import rules
from .events import AlertsProcessed
from .models import Alert, Integration, MappingRule, RawEvent
from .signals import Signal

BATCH = 500  # deliveries read per transaction ...
MAX_SIGNALS = 20_000  # ... of which those up to about this many alerts are taken: a short write lock (SQLite)
DRAIN_SECONDS = 5.0  # one drain call works at most this long, so the worker can run other tasks



def drain(seconds: float = DRAIN_SECONDS, counts: dict[str, int] | None = None) -> int:
    """Process pending events batch by batch until none are left or `seconds` have passed; the events
    processed. `counts` (when given) adds up what the batches did (see `_commit`)."""
    deadline = time.monotonic() + seconds
    done = 0
    while True:
        n = process_batch(counts=counts)
        done += n
        if n == 0 or time.monotonic() >= deadline:
            return done


@dataclass(slots=True)
class _Known:
    """An open alert already stored, as the batch changes it (no model instance: most signals are
    repeats that only count)."""

    id: int
    status: str
    content_hash: str
    repeats: int = 0
    last_seen: dt.datetime | None = None
    content: Signal | None = None  # newer content than stored, to write
    status_changed: bool = False
    acknowledged_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


@dataclass
class _Work:
    """The batch's state while signals are applied."""

    now: dt.datetime
    integrations: dict[int, Integration]
    taken: list[int] = field(default_factory=list)  # the deliveries' ids
    open: dict[tuple[int, str], _Known | Alert] = field(default_factory=dict)
    new: list[Alert] = field(default_factory=list)
    changed: dict[int, _Known] = field(default_factory=dict)
    retriggered: set[int] = field(default_factory=set)
    acknowledged: set[int] = field(default_factory=set)
    resolved: set[int] = field(default_factory=set)
    resolved_new: list[Alert] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)  # what _commit wrote, as counts (for the log)


def process_batch(limit: int | None = None, counts: dict[str, int] | None = None) -> int:
    """Process up to `limit` (default BATCH) pending events; how many were taken.

    Deliveries are applied in the order they were accepted, by one processor at a time (a trigger
    and its resolve in two deliveries must not be applied the other way round). PostgreSQL: one
    transaction holding an advisory lock; another worker meanwhile finds it taken and returns 0.
    SQLite has one writer at a time, and the intake waits for it: everything that only reads (the
    rows, the open alerts, decisions, mapping, flapping, maintenance) is done before the write
    transaction, which then claims the rows (still unprocessed, or it gives way) and writes.
    """
    if connection.vendor != "sqlite":
        with transaction.atomic():
            if not _exclusive():
                return 0
            work = _plan(limit or BATCH)
            return _counted(_commit(work), work, counts) if work else 0
    work = _plan(limit or BATCH)
    if work is None:
        return 0
    with transaction.atomic():
        return _counted(_commit(work), work, counts)


def _counted(taken: int, work: _Work, counts: dict[str, int] | None) -> int:
    """`taken`, with what the committed batch did added to `counts`."""
    if counts is not None and taken:
        for name, n in work.done.items():
            counts[name] = counts.get(name, 0) + n
    return taken


PROCESSING_LOCK = 7_406_853_201  # the advisory lock key of alert processing (any constant of ours)


def _exclusive() -> bool:
    """PostgreSQL: this transaction processes alone (False: another worker is at it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [PROCESSING_LOCK])
        return bool(cursor.fetchone()[0])


def _plan(limit: int) -> _Work | None:
    """Read pending deliveries and decide what they do (no write)."""
    rows = _read(limit)
    if not rows:
        return None
    rows = _without_redeliveries(rows)
    integrations = Integration.objects.in_bulk({r[1] for r in rows})
    work = _Work(now=clock.now(), integrations=integrations, taken=[r[0] for r in rows])
    signals: list[tuple[int, dt.datetime, Signal]] = [
        (integration_id, received_at, signal)
        for _, integration_id, received_at, batch, _ in rows if integration_id in integrations
        for signal in (batch or [])
    ]
    _load_open(work, signals)
    for integration_id, received_at, signal in signals:
        _apply(work, integration_id, received_at, signal)
    if work.new:
        _place(work)
        _mark_flapping(work)
        _annotate_maintenance(work)
    return work


def _commit(work: _Work) -> int:
    """Claim the deliveries and write what they did, in the caller's transaction; how many were taken
    (0 when another worker processed some of them meanwhile: this batch is dropped, nothing written).
    `work.done` says what it did: deliveries, new alerts, updated, retriggered, acknowledged, resolved."""
    claimed = RawEvent.objects.filter(id__in=id_list(work.taken), processed_at__isnull=True).update(processed_at=work.now)
    if claimed != len(work.taken):
        transaction.set_rollback(True)
        return 0
    if work.changed:
        _update(list(work.changed.values()))
    _insert(work.new)
    publish(AlertsProcessed(
        opened=tuple(a.pk for a in work.new),
        retriggered=tuple(sorted(work.retriggered)),
        acknowledged=tuple(sorted(work.acknowledged)),
        resolved=tuple(sorted(work.resolved | {a.pk for a in work.resolved_new})),
    ))
    work.done = {"deliveries": len(work.taken), "new_alerts": len(work.new), "updated": len(work.changed),
                 "retriggered": len(work.retriggered), "acknowledged": len(work.acknowledged),
                 "resolved": len(work.resolved) + len(work.resolved_new)}
    return len(work.taken)


Row = tuple[int, int, dt.datetime, Any, str]


def _read(limit: int) -> list[Row]:
    """The oldest pending deliveries holding up to MAX_SIGNALS alerts (at least one delivery), in
    order: the transaction, and with it SQLite's write lock that the intake waits on, stays short
    whatever the deliveries' size. Their sizes are read first, so only what is taken is parsed."""
    pending = RawEvent.objects.filter(processed_at__isnull=True).order_by("id")
    ids: list[int] = []
    total = 0
    for pk, size in pending.values_list("id", "size")[:limit]:
        total += size
        if total > MAX_SIGNALS and ids:
            break
        ids.append(pk)
    if not ids:
        return []
    return list(value_rows(RawEvent.objects.filter(id__in=id_list(ids)).order_by("id"),
                           "id", "integration_id", "received_at", "signals", "digest"))


def _without_redeliveries(rows: list[Row]) -> list[Row]:
    """The rows, with each one that repeats its integration's previous delivery byte for byte within
    five minutes emptied (a sender's retry after a lost answer): still marked processed, no effect.

    Only the previous delivery counts: a trigger, its resolve, and the same trigger again is a
    flapping alert, not a retry.
    """
    previous: dict[int, tuple[str, dt.datetime]] = {}
    first_id = rows[0][0]
    for integration_id in {r[1] for r in rows}:
        last = RawEvent.objects.filter(integration_id=integration_id, id__lt=first_id).order_by("-id").values_list(
            "digest", "received_at"
        ).first()
        if last is not None:
            previous[integration_id] = last
    out: list[Row] = []
    for row in rows:
        before = previous.get(row[1])
        if before is not None and before[0] == row[4] and row[2] - before[1] <= rules.REDELIVERY_WINDOW:
            out.append((row[0], row[1], row[2], [], row[4]))
        else:
            out.append(row)
        previous[row[1]] = (row[4], row[2])
    return out


def _load_open(work: _Work, signals: list[tuple[int, dt.datetime, Signal]]) -> None:
    keys = {s["key"] for _, _, s in signals}
    if not keys:
        return
    for pk, integration_id, key, status, content_hash in value_rows(Alert.objects.filter(
        integration_id__in={i for i, _, _ in signals}, key__in=text_list(keys), status__in=rules.OPEN_STATUSES
    ).order_by(), "id", "integration_id", "key", "status", "content_hash"):
        work.open[integration_id, key] = _Known(pk, status, content_hash)


def _when(value: str | None, default: dt.datetime) -> dt.datetime:
    if not value:
        return default
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def content_hash(signal: Signal) -> str:
    """What identifies an alert's content (summary, source, severity, labels, annotations, details):
    a repeat with the same hash only counts."""
    content = (signal.get("summary"), signal.get("source"), signal.get("severity"), signal.get("labels"),
               signal.get("annotations"), signal.get("details"))
    return hashlib.blake2b(orjson.dumps(content, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _apply(work: _Work, integration_id: int, received_at: dt.datetime, signal: Signal) -> None:
    """One signal on the batch's state, in arrival order."""
    key = (integration_id, signal["key"])
    current = work.open.get(key)
    decision = rules.decide(signal["action"], current is not None, current.status if current else None)
    if decision == rules.IGNORE:
        return
    if decision == rules.OPEN:
        integration = work.integrations[integration_id]
        alert = Alert(
            integration_id=integration_id, client_id=integration.client_id, key=signal["key"][:255],
            status=Alert.Status.FIRING, count=1, first_seen_at=received_at, last_seen_at=received_at,
            started_at=_when(signal.get("started_at"), received_at),
            service_id=signal.get("service_id"), site_id=signal.get("site_id"),
        )
        _refresh(alert, signal)
        work.new.append(alert)
        work.open[key] = alert
        return
    assert current is not None
    if isinstance(current, Alert):
        _apply_new(work, key, current, decision, received_at, signal)
    else:
        _apply_known(work, key, current, decision, received_at, signal)


def _apply_new(work: _Work, key: tuple[int, str], alert: Alert, decision: str, received_at: dt.datetime,
               signal: Signal) -> None:
    """A signal on an alert this batch opened (written whole when the batch ends)."""
    if decision == rules.UPDATE:
        alert.count += 1
        alert.last_seen_at = max(alert.last_seen_at, received_at)
        _refresh(alert, signal)
    elif decision == rules.ACKNOWLEDGE:
        alert.status, alert.acknowledged_at = Alert.Status.ACKNOWLEDGED, received_at
    elif decision == rules.RESOLVE:
        alert.status, alert.resolved_at = Alert.Status.RESOLVED, _when(signal.get("ended_at"), received_at)
        alert.last_seen_at = max(alert.last_seen_at, received_at)
        del work.open[key]
        work.resolved_new.append(alert)


def _apply_known(work: _Work, key: tuple[int, str], known: _Known, decision: str, received_at: dt.datetime,
                 signal: Signal) -> None:
    """A signal on a stored open alert: a repeat counts; new content, acknowledge and resolve are written."""
    work.changed[known.id] = known
    if decision == rules.UPDATE:
        known.repeats += 1
        known.last_seen = received_at if known.last_seen is None else max(known.last_seen, received_at)
        digest = content_hash(signal)
        if digest != known.content_hash:
            known.content, known.content_hash = signal, digest
        work.retriggered.add(known.id)
    elif decision == rules.ACKNOWLEDGE:
        known.status, known.acknowledged_at, known.status_changed = Alert.Status.ACKNOWLEDGED, received_at, True
        work.acknowledged.add(known.id)
    elif decision == rules.RESOLVE:
        known.status, known.status_changed = Alert.Status.RESOLVED, True
        known.resolved_at = _when(signal.get("ended_at"), received_at)
        known.last_seen = received_at if known.last_seen is None else max(known.last_seen, received_at)
        del work.open[key]
        work.resolved.add(known.id)


def _refresh(alert: Alert, signal: Signal) -> None:
    alert.summary = (signal.get("summary") or alert.summary or signal["key"])[:1024]
    alert.source = (signal.get("source") or alert.source)[:255]
    alert.severity = signal.get("severity") or alert.severity or Alert.Severity.ERROR
    alert.labels = signal.get("labels") or alert.labels or {}
    alert.annotations = signal.get("annotations") or alert.annotations or {}
    alert.details = signal.get("details") or alert.details or {}
    alert.content_hash = content_hash(signal)


ALERT_COLUMNS = (
    "integration", "client", "key", "status", "severity", "summary", "source", "labels", "annotations", "details",
    "content_hash", "service", "site", "count", "first_seen_at", "last_seen_at", "started_at", "acknowledged_at",
    "resolved_at", "state_changes", "flapping", "maintenance_change", "incident_id",
)
_ATTRIBUTES = tuple(getattr(Alert._meta.get_field(name), "attname", name) for name in ALERT_COLUMNS)


def _insert(new: list[Alert]) -> None:
    """The batch's new alerts, in a few INSERTs (their ids set)."""
    ids = insert_rows(Alert, ALERT_COLUMNS, [[getattr(a, name) for name in _ATTRIBUTES] for a in new])
    for alert, pk in zip(new, ids, strict=True):
        alert.pk = pk
        alert._state.adding = False


def _update(changed: list[_Known]) -> None:
    """Counts and last-seen for every repeat; content, status and their instants only where they
    changed. Each an UPDATE run for many rows (Django's bulk_update writes a CASE per field per row)."""
    ops, table = connection.ops, Alert._meta.db_table
    adapted: dict[dt.datetime | None, Any] = {}

    def when(value: dt.datetime | None) -> Any:  # most are the received_at of a few deliveries
        if value not in adapted:
            adapted[value] = ops.adapt_datetimefield_value(value)
        return adapted[value]

    def json_value(value: Any) -> Any:
        return ops.adapt_json_value(value, None)

    counted = [(k.id, k.repeats, when(k.last_seen)) for k in changed if k.repeats or k.last_seen]
    contents = [
        (
            (k.content.get("summary") or k.content["key"])[:1024], (k.content.get("source") or "")[:255],
            k.content.get("severity") or Alert.Severity.ERROR, json_value(k.content.get("labels") or {}),
            json_value(k.content.get("annotations") or {}), json_value(k.content.get("details") or {}),
            k.content_hash, k.id,
        )
        for k in changed if k.content is not None
    ]
    states = [(k.status, when(k.acknowledged_at), when(k.resolved_at), k.id) for k in changed if k.status_changed]
    # Table and column names are ours; values are parameters.
    with connection.cursor() as cursor:
        if counted:
            cursor.executemany(
                f"UPDATE {table} SET count = count + %s, last_seen_at = COALESCE(%s, last_seen_at) WHERE id = %s",  # noqa: S608
                [(n, seen, pk) for pk, n, seen in counted],
            )
        if contents:
            cursor.executemany(
                f"UPDATE {table} SET summary = %s, source = %s, severity = %s, labels = %s, annotations = %s,"  # noqa: S608
                " details = %s, content_hash = %s WHERE id = %s",
                contents,
            )
        if states:
            cursor.executemany(
                f"UPDATE {table} SET status = %s, acknowledged_at = COALESCE(%s, acknowledged_at),"  # noqa: S608
                " resolved_at = COALESCE(%s, resolved_at) WHERE id = %s",
                states,
            )


def _add_counts(cursor: Any, table: str, counted: list[tuple[int, int, Any]]) -> None:
    """Repeats and last-seen of thousands of alerts in one UPDATE joined to the values passed as one
    parameter (a JSON list on SQLite, arrays on PostgreSQL): ~1 µs a row instead of ~10 µs for a
    statement per row."""
    # Table and column names are ours; values are parameters.
    if connection.vendor == "postgresql":
        ids, repeats, seen = (list(column) for column in zip(*counted, strict=True))
        cursor.execute(
            f"UPDATE {table} AS a SET count = a.count + x.n, last_seen_at = COALESCE(x.seen, a.last_seen_at)"  # noqa: S608
            " FROM unnest(%s::bigint[], %s::integer[], %s::timestamptz[]) AS x(id, n, seen) WHERE a.id = x.id",
            [ids, repeats, seen],
        )
        return
    cursor.execute(
        f"UPDATE {table} SET count = count + x.n, last_seen_at = COALESCE(x.seen, last_seen_at)"  # noqa: S608
        " FROM (SELECT value ->> 0 AS id, value ->> 1 AS n, value ->> 2 AS seen FROM json_each(%s)) AS x"
        f" WHERE {table}.id = x.id",
        [orjson.dumps(counted).decode()],
    )


def _place(work: _Work) -> None:
    """Service and site of each new alert from its integration's mapping rules (first match wins), or the defaults."""
    by_integration: dict[int, tuple[list[tuple[rules.Matcher, int]], list[tuple[rules.Matcher, int]]]] = defaultdict(
        lambda: ([], [])
    )
    for rule in MappingRule.objects.filter(integration_id__in={a.integration_id for a in work.new}).order_by(
        "integration_id", "position", "id"
    ):
        matcher = rules.Matcher(rule.label, rule.operator, rule.value)
        services, sites = by_integration[rule.integration_id]
        if rule.service_id:
            services.append((matcher, rule.service_id))
        elif rule.site_id:
            sites.append((matcher, rule.site_id))
    for alert in work.new:
        services, sites = by_integration[alert.integration_id]
        integration = work.integrations[alert.integration_id]
        # A placement the signal carries (a heartbeat's own service or site) comes first.
        alert.service_id = (alert.service_id or rules.first_target(services, alert.labels)
                            or integration.default_service_id)
        alert.site_id = alert.site_id or rules.first_target(sites, alert.labels) or integration.default_site_id


def _mark_flapping(work: _Work) -> None:
    """A new alert whose key opened again and again within its integration's flap window flaps."""
    longest = max(dt.timedelta(minutes=i.flap_window_minutes) for i in work.integrations.values())
    earlier: dict[tuple[int, str], list[dt.datetime]] = defaultdict(list)
    for integration_id, key, opened in value_rows(Alert.objects.filter(
        integration_id__in={a.integration_id for a in work.new}, key__in=text_list({a.key for a in work.new}),
        first_seen_at__gte=work.now - longest,
    ).order_by(), "integration_id", "key", "first_seen_at"):
        earlier[integration_id, key].append(opened)
    for alert in work.new:
        integration = work.integrations[alert.integration_id]
        opens = earlier[alert.integration_id, alert.key]
        opens.append(alert.first_seen_at)
        alert.state_changes = [t.isoformat() for t in sorted(opens)[-20:]]
        alert.flapping = rules.is_flapping(
            opens, alert.first_seen_at, threshold=integration.flap_threshold,
            window=dt.timedelta(minutes=integration.flap_window_minutes),
        )


def _annotate_maintenance(work: _Work) -> None:
    """A new alert on a service or site inside an approved change's maintenance period names that change."""
    found: dict[tuple[int | None, int | None], int | None] = {}
    for alert in work.new:
        place = (alert.service_id, alert.site_id)
        if place == (None, None):
            continue
        if place not in found:
            found[place] = _maintenance_change(alert.first_seen_at, *place)
        alert.maintenance_change_id = found[place]


def _maintenance_change(at: dt.datetime, service_id: int | None, site_id: int | None) -> int | None:
    for planned in schedule.overlapping(
        at, at + dt.timedelta(seconds=1), service_ids=[service_id] if service_id else [],
        site_ids=[site_id] if site_id else [], kinds=["change"],
    ):
        if planned.maintenance and planned.ref.startswith("changes.changerequest:"):
            return int(planned.ref.rsplit(":", 1)[1])
    return None
