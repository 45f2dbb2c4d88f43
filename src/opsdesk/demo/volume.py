"""Builder step for the large demo's volume: generated work orders across every site, in bulk.

The curated stories (work orders in every state, each blocked by its site's own rule) go through
the services in `workorders`. This step adds the volume a service provider of that size carries:
`Plan.volume` work orders (1,000,000 in the large demo), about 88 % of them history (closed,
verified, completed, cancelled; two years back, some of it rework) and the rest open work in the
weeks ahead (submitted up to scheduled, on hold, blocked) across every site and client.

Rows are written with the database's bulk path (COPY on PostgreSQL, executemany on SQLite) in
chunks, with the tables' secondary indexes dropped for the load and built once after it. Open work
gets arrangements for its site's rules (mostly approved, some pending), its readiness computed by
`readiness_queries.ForkedEvaluation` (the product's own gate, in a worker process while the history
is written: blocked, at risk, needed-by and the blockers), and ready or scheduled work that the gate
would refuse is put back in readiness, so the invariant "nothing past the gate with an open
blocker" holds for generated work too. Scheduled visits are entered in `core.schedule`. Generated rows carry no per-row timeline
(history is imported, not replayed); the curated stories have full timelines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection

from opsdesk.accounts.models import User
from opsdesk.core.bulk import no_cycle_collection, without_indexes
from opsdesk.core.models import ScheduleEntry, ScheduleTarget
from opsdesk.services.models import Service
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.sites.rules import applies_to
from opsdesk.workorders import readiness_queries
from opsdesk.workorders.category_rules import CATEGORY_FIELDS
from opsdesk.workorders.models import FINISHED_STATES, Arrangement, WorkOrder
from opsdesk.workorders.readiness import Readiness

from .context import DemoContext

UTC = dt.UTC
CHUNK = 50_000
OPEN_SHARE = 0.12
ARRANGED = frozenset({"access_request", "escort", "ppe", "local_standard", "method_statement", "compliance"})
CATEGORY_WEIGHTS = {
    "remote_hands": 30, "break_fix": 22, "patching": 16, "cabling": 10, "install": 8, "audit": 5,
    "survey": 5, "decommission": 4,
}
TITLES = {
    "remote_hands": ("Remote hands: reseat {x} in {r}", ("the line card", "a transceiver", "the PSU", "a disk")),
    "break_fix": ("Replace the failed {x} in {r}", ("PSU", "fan tray", "disk", "line card", "optic")),
    "patching": ("Patch {x} in {r}", ("two servers", "the new switch", "four desks", "the firewall pair")),
    "cabling": ("Run {x} to {r}", ("fibre", "copper", "a new trunk", "power cables")),
    "install": ("Install {x} in {r}", ("a server", "a top-of-rack switch", "a storage shelf", "a PDU")),
    "audit": ("Audit {x} in {r}", ("the assets", "the power usage", "the cabling", "the labels")),
    "survey": ("Survey {x} for {r}", ("the riser", "the floor space", "the cooling", "the Wi-Fi")),
    "decommission": ("Decommission {x} in {r}", ("the old server", "the legacy array", "a router", "a switch")),
}
PLACES = ("hall 1", "hall 2", "row B", "row C", "the cage", "the comms room", "rack 12", "the MDF")
OPEN_STATES = {"submitted": 10, "triage": 12, "readiness": 40, "ready": 18, "scheduled": 12, "on_hold": 4, "blocked": 4}
PAST_STATES = {"closed": 80, "verified": 6, "completed": 6, "cancelled": 8}
PRIORITIES = {"p1": 3, "p2": 15, "p3": 60, "p4": 22}
# Site-local start times: mostly office hours, some evenings and nights.
HOURS = (dt.time(9), dt.time(9), dt.time(10), dt.time(10), dt.time(11), dt.time(13), dt.time(14), dt.time(14),
         dt.time(15), dt.time(19), dt.time(22), dt.time(1))
MINUTES = (30, 60, 60, 90, 120, 180, 240)
FIELDS_BY_CATEGORY: dict[str, list[str]] = defaultdict(list)
for _f in CATEGORY_FIELDS:
    FIELDS_BY_CATEGORY[_f.category].append(_f.key)
COLUMNS = (
    "id", "client_id", "site_id", "category", "title", "description", "info", "window_start", "window_end",
    "queue_at", "priority", "estimated_minutes", "change_id", "owner_id", "team", "engineer_id", "state", "finished",
    "rework_of_id",
    "first_time_fix", "blocked", "at_risk", "next_needed_by", "readiness", "checked_in_at", "checked_out_at",
    "completion_report", "checklist", "created_at", "updated_at", "completed_at",
)
FTF = COLUMNS.index("first_time_fix")


class _Visit(NamedTuple):
    pk: int
    title: str
    client_id: int
    site_id: int
    start: dt.datetime
    end: dt.datetime


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


MINUTE_TEXT = tuple(f"{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60))


class _Writer:
    """Rows in bulk: COPY on PostgreSQL, executemany on SQLite (values already in the DB's form)."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        self.true, self.false = (True, False) if self.pg else (1, 0)
        self._days: dict[int, str] = {}

    def when(self, value: dt.datetime | None) -> Any:
        """An aware UTC datetime as the database takes it (SQLite: 'YYYY-MM-DD HH:MM:SS' in UTC)."""
        if value is None or self.pg:
            return value
        if value.second or value.microsecond:
            return str(value)[:-6]  # generated times are all in UTC: drop the '+00:00'
        # Whole minutes (nearly every generated time): the text from a table per day and minute,
        # four times faster than formatting a datetime.
        day = value.toordinal()
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = f"{dt.date.fromordinal(day)} "
        return text + MINUTE_TEXT[value.hour * 60 + value.minute]

    def flag(self, value: bool | None) -> Any:
        return value if value is None else (self.true if value else self.false)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        names = ", ".join(columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                # Table and column names come from model metadata, values are parameters.
                cursor.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def update(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """UPDATE table SET columns... WHERE id = last value of each row."""
        mark = "%s" if self.pg else "?"
        sets = ", ".join(f"{c} = {mark}" for c in columns)
        with connection.cursor() as cursor:
            cursor.cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = {mark}", list(rows))  # noqa: S608


def build_volume(ctx: DemoContext, total: int | None = None) -> None:
    """`total` (default: the plan's volume) generated work orders across every site, in bulk.

    Ids follow the order work arrives in: history first, open work last (one range of ids, as in
    a live system). The tables' secondary indexes are dropped for the load and built once at the
    end (core.bulk). The open work is written first, with its arrangements, so that the gate can
    judge it in worker processes while the history is generated and written here; rows are always
    written before anything refers to them (with a reference waiting on a missing row, SQLite
    checks every later insert against the referring tables, and without their indexes that is a
    scan per row).
    """
    total = ctx.plan.volume if total is None else total
    if total <= 0:
        return
    assert {f.column for f in WorkOrder._meta.concrete_fields} == set(COLUMNS), "WorkOrder columns changed"
    rng = ctx.rng("volume")
    writer = _Writer()
    world = _World(ctx, writer)
    now = dt.datetime.combine(ctx.today, dt.time(9), tzinfo=UTC)
    next_id = (WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    opened = round(total * OPEN_SHARE)
    history = total - opened
    with no_cycle_collection(), without_indexes(WorkOrder, WorkOrder.services.through, Arrangement):
        rows, services, work = _open_work(ctx, world, rng, next_id + history, opened, now)
        _write(writer, rows, services)
        _arrange(world, writer, rng, rows, work, now)
        # One worker per core but this one, which meanwhile writes the history.
        workers = max(1, (os.cpu_count() or 1) - 1)
        gate = readiness_queries.ForkedEvaluation(work, now, processes=workers, min_rows=1000, convert=_stored)
        with gate:
            for first in range(0, history, CHUNK):
                n = min(CHUNK, history - first)
                _write(writer, *_history(ctx, world, rng, next_id + first, n))
            _store(writer, rows, work, gate.results())
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [WorkOrder]):
            cursor.execute(sql)
    ctx.count("generated work orders", total)
    ctx.count("generated open work orders", opened)


def _write(writer: _Writer, rows: list[list[Any]], services: list[tuple[int, int]]) -> None:
    writer.insert(WorkOrder._meta.db_table, COLUMNS, rows)
    writer.insert(WorkOrder.services.through._meta.db_table, ("workorder_id", "service_id"), services)


def _table(weights: dict[str, int]) -> tuple[str, ...]:
    """The keys repeated by weight: a uniform pick from it is a weighted pick."""
    return tuple(key for key, weight in weights.items() for _ in range(weight))


CATEGORY_TABLE = _table(CATEGORY_WEIGHTS)
OPEN_TABLE = _table(OPEN_STATES)
PAST_TABLE = _table(PAST_STATES)
PRIORITY_TABLE = _table(PRIORITIES)
TITLE_CHOICES = {
    category: tuple(pattern.format(x=x, r=r) for x in things for r in PLACES)
    for category, (pattern, things) in TITLES.items()
}
REPORTS = {title: f"{title}: done as requested and tested with the client." for t in TITLE_CHOICES.values() for title in t}
DAY = dt.timedelta(days=1)


class _World:
    """What generation draws from: each site's clients and services, zones, rules; owners, engineers.

    Window starts are cached per (zone, day, hour) with their stored form: a million rows share
    about 12 zones x 775 days x 12 hours of them.
    """

    def __init__(self, ctx: DemoContext, writer: _Writer) -> None:
        self.writer = writer
        sites = [p.site for p in ctx.sites]
        served: dict[int, list[int]] = defaultdict(list)
        for site_id, client_id in Site.clients.through.objects.values_list("site_id", "client_id"):
            served[site_id].append(client_id)
        services: dict[tuple[int, int], list[int]] = defaultdict(list)
        for service_id, client_id, site_id in Service.sites.through.objects.values_list(
            "service_id", "service__client_id", "site_id"
        ):
            services[site_id, client_id].append(service_id)
        self.options = {s.pk: [(c, services.get((s.pk, c), [])) for c in served[s.pk]] for s in sites}
        self.sites = [s for s in sites if self.options[s.pk]]
        self.zones = {s.pk: ZoneInfo(s.time_zone) for s in self.sites}
        self.team = {s.pk: f"Service desk {s.region.code}" for s in self.sites}
        self.owners = list(User.objects.filter(role="service_desk", is_active=True).values_list("id", flat=True))
        self.engineers: dict[int, list[int]] = defaultdict(list)  # region -> engineers
        for engineer in ctx.engineers:
            self.engineers[engineer.home_region_id].append(engineer.pk)
        self.rules: dict[int, list[tuple[int, str, int, tuple[str, ...]]]] = defaultdict(list)
        for req_id, site_id, kind, lead, categories in SiteRequirement.objects.filter(
            blocking=True, kind__in=ARRANGED
        ).values_list("id", "site_id", "kind", "lead_time_hours", "categories"):
            self.rules[site_id].append((req_id, kind, lead, tuple(categories or ())))
        self._starts: dict[tuple[ZoneInfo, dt.date, dt.time], tuple[dt.datetime, Any]] = {}

    def window(self, site_id: int, day: dt.date, at: dt.time, minutes: int) -> tuple[dt.datetime, Any, dt.datetime, Any]:
        """A window in UTC from a site-local day and time, lasting `minutes`: (start, stored, end, stored)."""
        key = (self.zones[site_id], day, at)
        found = self._starts.get(key)
        if found is None:
            start = dt.datetime.combine(day, at, tzinfo=key[0]).astimezone(UTC)
            found = self._starts[key] = (start, self.writer.when(start))
        start, stored = found
        end = start + dt.timedelta(minutes=minutes)
        return start, stored, end, self.writer.when(end)


def _chooser(rng: random.Random) -> Callable[[Sequence[Any]], Any]:
    """A uniform pick like `rng.choice`, from one float draw (choice draws an integer bit by bit: 3x slower)."""
    rand = rng.random

    def choice(seq: Sequence[Any]) -> Any:
        return seq[int(rand() * len(seq))]

    return choice


def _draw(world: _World, choice: Callable[[Sequence[Any]], Any], states: Sequence[str], day: dt.date) -> tuple[Any, ...]:
    """What every generated row draws: site, client and its services, category, title, state, and
    a window on `day` (site, client, services, category, title, state, minutes, start, stored, end, stored)."""
    site = choice(world.sites)
    client_id, client_services = choice(world.options[site.pk])
    category = choice(CATEGORY_TABLE)
    minutes = choice(MINUTES)
    return (site, client_id, client_services, category, choice(TITLE_CHOICES[category]), choice(states), minutes,
            *world.window(site.pk, day, choice(HOURS), minutes))


def _history(
    ctx: DemoContext, world: _World, rng: random.Random, first_id: int, n: int,
) -> tuple[list[list[Any]], list[tuple[int, int]]]:
    """`n` finished work orders over the last two years (closed, verified, completed, cancelled)."""
    w, rand, choice = world.writer, rng.random, _chooser(rng)
    true, false = w.true, w.false
    rows: list[list[Any]] = []
    services: list[tuple[int, int]] = []
    last_done: dict[int, tuple[int, dt.datetime]] = {}  # site -> earlier finished work there (for rework)
    today = ctx.today
    for pk in range(first_id, first_id + n):
        site, client_id, client_services, category, title, state, minutes, start, start_db, end, end_db = _draw(
            world, choice, PAST_TABLE, today - DAY * (1 + int(rand() * 730))
        )
        site_id = site.pk
        created_db = w.when(start - DAY * (2 + int(rand() * 19)))
        rework_of = None
        if state == "cancelled":
            engineer_id = checked_in = checked_out = completed = first_time_fix = None
            report, updated = "", created_db
        else:
            region_engineers = world.engineers.get(site.region_id)
            engineer_id = choice(region_engineers) if region_engineers else None
            checked_in, checked_out, completed, first_time_fix = start_db, end_db, end_db, true
            report, updated = REPORTS[title], end_db
            earlier, earlier_end = last_done.get(site_id, (None, None))
            if earlier is not None and earlier_end is not None and earlier_end < start and rand() < 0.06:
                # A follow-up of earlier finished work at the site: rework, so the earlier one
                # was not a first-time fix.
                rework_of = earlier
                rows[earlier - first_id][FTF] = false
            last_done[site_id] = (pk, end)
        if client_services:
            services.append((pk, choice(client_services)))
        rows.append([
            pk, client_id, site_id, category, title, "", "{}", start_db, end_db, start_db, choice(PRIORITY_TABLE),
            minutes, None, choice(world.owners), world.team[site_id], engineer_id, state,
            true if state in FINISHED_STATES else false, rework_of, first_time_fix, false, false, None, "{}",
            checked_in, checked_out, report, "{}", created_db, updated, completed,
        ])
    return rows, services


def _open_work(
    ctx: DemoContext, world: _World, rng: random.Random, first_id: int, n: int, now: dt.datetime,
) -> tuple[list[list[Any]], list[tuple[int, int]], list[readiness_queries.WorkRow]]:
    """`n` open work orders in the next 45 days (submitted ... scheduled, on hold, blocked); `_judge`
    stores their readiness."""
    w, rand, choice = world.writer, rng.random, _chooser(rng)
    rows: list[list[Any]] = []
    services: list[tuple[int, int]] = []
    work: list[readiness_queries.WorkRow] = []
    when = w.when
    for pk in range(first_id, first_id + n):
        site, client_id, client_services, category, title, state, minutes, start, start_db, end, end_db = _draw(
            world, choice, OPEN_TABLE, ctx.today + DAY * (1 + int(rand() * 45))
        )
        site_id = site.pk
        keys = FIELDS_BY_CATEGORY[category]
        info = {k: f"{k.replace('_', ' ')} for WO-{pk}" for k in keys}
        if keys and state in ("submitted", "triage", "readiness") and rand() < 0.15:
            info.pop(choice(keys))
        created_db = when(now - dt.timedelta(days=1 + int(rand() * 20), minutes=int(rand() * 601)))
        if client_services:
            services.append((pk, choice(client_services)))
        rows.append([
            pk, client_id, site_id, category, title, "", json.dumps(info), start_db, end_db, start_db,
            choice(PRIORITY_TABLE), minutes, None, choice(world.owners), world.team[site_id], None, state,
            w.false, None, None, w.false, w.false, None, "{}", None, None, "", "{}", created_db, created_db, None,
        ])
        work.append(readiness_queries.WorkRow(pk, site_id, category, start, end, info, None, None))
    return rows, services, work


STATE, TITLE, CLIENT = COLUMNS.index("state"), COLUMNS.index("title"), COLUMNS.index("client_id")


def _arrange(
    world: _World, w: _Writer, rng: random.Random, rows: list[list[Any]], work: list[readiness_queries.WorkRow],
    now: dt.datetime,
) -> None:
    """Arrangements for the site's rules: mostly approved (always for ready and scheduled work), some pending."""
    arrangements = []
    for row, wo in zip(rows, work, strict=True):
        assert wo.window_start is not None
        advanced = row[STATE] in ("ready", "scheduled")
        for req_id, _kind, lead, categories in world.rules.get(wo.site_id, ()):
            if not applies_to(categories, wo.category):
                continue
            roll = rng.random()
            if advanced or roll < 0.7:
                at = min(now, wo.window_start - dt.timedelta(hours=lead + 1 + int(rng.random() * 96)))
                arrangements.append((wo.pk, req_id, "approved", w.when(at), w.when(at), "", ""))
            elif roll < 0.85:
                arrangements.append((wo.pk, req_id, "submitted", w.when(now), None, "", ""))
    w.insert(Arrangement._meta.db_table,
             ("work_order_id", "requirement_id", "state", "submitted_at", "approved_at", "reference", "note"),
             arrangements)


def _store(
    w: _Writer, rows: list[list[Any]], work: list[readiness_queries.WorkRow],
    results: dict[int, tuple[bool, bool, dt.datetime | None, str]],
) -> None:
    """The gate's verdict on each open row; work it refuses goes back to readiness; visits for the scheduled."""
    visits: list[_Visit] = []
    updates: list[tuple[Any, ...]] = []
    for row, wo in zip(rows, work, strict=True):
        ready, at_risk, next_by, stored = results[wo.pk]
        state = row[STATE]
        if state in ("ready", "scheduled") and not ready:
            state = "readiness"
        elif state == "scheduled" and wo.window_start and wo.window_end:
            visits.append(_Visit(wo.pk, row[TITLE], row[CLIENT], wo.site_id, wo.window_start, wo.window_end))
        updates.append((state, w.flag(not ready), w.flag(at_risk), w.when(next_by), stored, wo.pk))
    w.update(WorkOrder._meta.db_table, ("state", "blocked", "at_risk", "next_needed_by", "readiness"), updates)
    _visits(visits)


def _stored(result: Readiness) -> tuple[bool, bool, dt.datetime | None, str]:
    """What a work order row keeps of the gate's verdict: ready, at risk, next needed-by, the JSON."""
    data = readiness_queries.as_json(result)
    data["notified"] = []
    return result.ready, result.at_risk, result.next_needed_by, json.dumps(data)


def _visits(visits: list[_Visit]) -> None:
    """Scheduled work occupies core.schedule, as the services would enter it."""
    entries = ScheduleEntry.objects.bulk_create([
        ScheduleEntry(kind="visit", ref=f"workorders.workorder:{v.pk}", label=f"WO-{v.pk} {v.title}",
                      start_at=v.start, end_at=v.end, state="scheduled", client_ids=[v.client_id])
        for v in visits
    ])
    ScheduleTarget.objects.bulk_create([
        ScheduleTarget(entry=e, kind="site", target_id=v.site_id, start_at=v.start, end_at=v.end)
        for e, v in zip(entries, visits, strict=True)
    ])
