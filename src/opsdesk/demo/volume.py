"""Builder step for the large demo's volume: generated work orders across every site, in bulk.

The curated stories (work orders in every state, each blocked by its site's own rule) go through
the services in `workorders`. This step adds the volume a service provider of that size carries:
`Plan.volume` work orders (1,000,000 in the large demo), about 88 % of them history (closed,
verified, completed, cancelled; two years back, some of it rework) and the rest open work in the
weeks ahead (submitted up to scheduled, on hold, blocked) across every site and client.

Rows are written with the database's bulk path (COPY on PostgreSQL, executemany on SQLite) in
chunks. Open work gets arrangements for its site's rules (mostly approved, some pending), its
readiness computed by `readiness_queries.evaluate_many` (the product's own gate: blocked, at risk,
needed-by and the blockers), and ready or scheduled work that the gate would refuse is put back in
readiness, so the invariant "nothing past the gate with an open blocker" holds for generated work
too. Scheduled visits are entered in `core.schedule`. Generated rows carry no per-row timeline
(history is imported, not replayed); the curated stories have full timelines.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection

from opsdesk.accounts.models import User
from opsdesk.core.models import ScheduleEntry, ScheduleTarget
from opsdesk.services.models import Service
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.sites.rules import applies_to
from opsdesk.workorders import readiness_queries
from opsdesk.workorders.category_rules import CATEGORY_FIELDS
from opsdesk.workorders.models import FINISHED_STATES, Arrangement, WorkOrder

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


class _Writer:
    """Rows in bulk: COPY on PostgreSQL, executemany on SQLite (values already in the DB's form)."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def when(self, value: dt.datetime | None) -> Any:
        if value is None or self.pg:
            return value
        return str(value.astimezone(UTC).replace(tzinfo=None))

    def flag(self, value: bool | None) -> Any:
        return value if self.pg or value is None else int(value)

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
    """`total` (default: the plan's volume) generated work orders across every site, in bulk."""
    total = ctx.plan.volume if total is None else total
    if total <= 0:
        return
    assert {f.column for f in WorkOrder._meta.concrete_fields} == set(COLUMNS), "WorkOrder columns changed"
    rng = ctx.rng("volume")
    writer = _Writer()
    world = _World(ctx)
    now = dt.datetime.combine(ctx.today, dt.time(9), tzinfo=UTC)
    next_id = (WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    made = opened = 0
    while made < total:
        n = min(CHUNK, total - made)
        rows, services, open_rows = _chunk(ctx, world, rng, writer, next_id, n, now)
        writer.insert(WorkOrder._meta.db_table, COLUMNS, rows)
        writer.insert(WorkOrder.services.through._meta.db_table, ("workorder_id", "service_id"), services)
        _readiness(world, writer, rng, open_rows, now)
        next_id += n
        made += n
        opened += len(open_rows)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [WorkOrder]):
            cursor.execute(sql)
    ctx.count("generated work orders", made)
    ctx.count("generated open work orders", opened)


class _World:
    """What generation draws from: each site's clients and services, zones, rules; owners, engineers."""

    def __init__(self, ctx: DemoContext) -> None:
        self.sites = [p.site for p in ctx.sites]
        self.zones = {s.pk: ZoneInfo(s.time_zone) for s in self.sites}
        served: dict[int, list[int]] = defaultdict(list)
        for site_id, client_id in Site.clients.through.objects.values_list("site_id", "client_id"):
            served[site_id].append(client_id)
        services: dict[tuple[int, int], list[int]] = defaultdict(list)
        for service_id, client_id, site_id in Service.sites.through.objects.values_list(
            "service_id", "service__client_id", "site_id"
        ):
            services[site_id, client_id].append(service_id)
        self.options = {s.pk: [(c, services.get((s.pk, c), [])) for c in served[s.pk]] for s in self.sites}
        self.sites = [s for s in self.sites if self.options[s.pk]]
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


def _window(world: _World, rng: random.Random, site: Site, day: dt.date) -> tuple[dt.datetime, dt.datetime, int]:
    minutes = rng.choice(MINUTES)
    start = dt.datetime.combine(day, rng.choice(HOURS), tzinfo=world.zones[site.pk]).astimezone(UTC)
    return start, start + dt.timedelta(minutes=minutes), minutes


def _chunk(
    ctx: DemoContext, world: _World, rng: random.Random, w: _Writer, first_id: int, n: int, now: dt.datetime,
) -> tuple[list[list[Any]], list[tuple[int, int]], list[WorkOrder]]:
    rows: list[list[Any]] = []
    services: list[tuple[int, int]] = []
    open_rows: list[WorkOrder] = []
    last_done: dict[int, tuple[int, dt.datetime]] = {}  # site -> earlier finished work there (for rework)
    for i in range(n):
        pk = first_id + i
        site = rng.choice(world.sites)
        client_id, client_services = rng.choice(world.options[site.pk])
        category = _pick(rng, CATEGORY_WEIGHTS)
        pattern, things = TITLES[category]
        title = pattern.format(x=rng.choice(things), r=rng.choice(PLACES))
        is_open = rng.random() < OPEN_SHARE
        engineer_id = rework_of = None
        first_time_fix = None
        checked_in = checked_out = completed = None
        report = ""
        if is_open:
            state = _pick(rng, OPEN_STATES)
            start, end, minutes = _window(world, rng, site, ctx.today + dt.timedelta(days=rng.randint(1, 45)))
            keys = FIELDS_BY_CATEGORY[category]
            info = {k: f"{k.replace('_', ' ')} for WO-{pk}" for k in keys}
            if keys and state in ("submitted", "triage", "readiness") and rng.random() < 0.15:
                info.pop(rng.choice(keys))
            created = now - dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        else:
            state = _pick(rng, PAST_STATES)
            start, end, minutes = _window(world, rng, site, ctx.today - dt.timedelta(days=rng.randint(1, 730)))
            info = {}
            created = start - dt.timedelta(days=rng.randint(2, 20))
            if state != "cancelled":
                region_engineers = world.engineers.get(site.region_id)
                engineer_id = rng.choice(region_engineers) if region_engineers else None
                checked_in, checked_out, completed = start, end, end
                first_time_fix = True
                report = f"{title}: done as requested and tested with the client."
                earlier, earlier_end = last_done.get(site.pk, (None, None))
                if earlier is not None and earlier_end is not None and earlier_end < start and rng.random() < 0.06:
                    # A follow-up of earlier finished work at the site: rework, so the earlier one
                    # was not a first-time fix.
                    rework_of = earlier
                    rows[earlier - first_id][FTF] = w.flag(False)
                last_done[site.pk] = (pk, end)
        if client_services:
            services.append((pk, rng.choice(client_services)))
        rows.append([
            pk, client_id, site.pk, category, title, "", json.dumps(info), w.when(start), w.when(end), w.when(start),
            _pick(rng, PRIORITIES), minutes, None, rng.choice(world.owners), world.team[site.pk], engineer_id, state,
            w.flag(state in FINISHED_STATES), rework_of, w.flag(first_time_fix), w.flag(False), w.flag(False), None, "{}",
            w.when(checked_in),
            w.when(checked_out), report, "{}", w.when(created), w.when(max(created, completed or created)),
            w.when(completed),
        ])
        if is_open:
            open_rows.append(WorkOrder(
                pk=pk, site_id=site.pk, category=category, window_start=start, window_end=end, info=info, state=state,
                title=title, client_id=client_id, change_id=None, engineer_id=None,
            ))
    return rows, services, open_rows


def _readiness(world: _World, w: _Writer, rng: random.Random, open_rows: list[WorkOrder], now: dt.datetime) -> None:
    """Arrangements for the site's rules, then the gate's verdict stored; refused work back to readiness."""
    arrangements = []
    for wo in open_rows:
        assert wo.window_start is not None
        advanced = wo.state in ("ready", "scheduled")
        for req_id, _kind, lead, categories in world.rules.get(wo.site_id, ()):
            if not applies_to(list(categories), wo.category):
                continue
            roll = rng.random()
            if advanced or roll < 0.7:
                at = min(now, wo.window_start - dt.timedelta(hours=lead + rng.randint(1, 96)))
                arrangements.append((wo.pk, req_id, "approved", w.when(at), w.when(at), "", ""))
            elif roll < 0.85:
                arrangements.append((wo.pk, req_id, "submitted", w.when(now), None, "", ""))
    w.insert(Arrangement._meta.db_table,
             ("work_order_id", "requirement_id", "state", "submitted_at", "approved_at", "reference", "note"),
             arrangements)
    results = readiness_queries.evaluate_many(open_rows, now)
    updates: list[tuple[Any, ...]] = []
    visits: list[_Visit] = []
    for wo in open_rows:
        result = results[wo.pk]
        data = readiness_queries.as_json(result)
        data["notified"] = []
        state = wo.state
        if state in ("ready", "scheduled") and not result.ready:
            state = "readiness"
        elif state == "scheduled" and wo.window_start and wo.window_end:
            visits.append(_Visit(wo.pk, wo.title, wo.client_id, wo.site_id, wo.window_start, wo.window_end))
        updates.append((state, w.flag(not result.ready), w.flag(result.at_risk), w.when(result.next_needed_by),
                        json.dumps(data), wo.pk))
    w.update(WorkOrder._meta.db_table, ("state", "blocked", "at_risk", "next_needed_by", "readiness"), updates)
    _visits(visits)


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
