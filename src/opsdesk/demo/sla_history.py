"""Builder step for the demo's SLA history: six months of finished work whose clocks tell a story.

Without it, the only settled SLA targets are the curated stories' (a dozen, most breached on
purpose) and the attainment report reads about 0 %. This step writes `PER_MONTH` closed work
orders a month for the six months before the demo's today at the first copy's sites, each with
its whole timeline ('created', then every transition), so `opsdesk sla recompute` and the demo's
bulk clocks derive their clocks from the history like any other work. The times are drawn in the
site's business time against the targets of the policy that will apply (demo/slas.py), so:

- most work meets its targets (responded, on site and finished within 30-90 % of them);
- some waited on the client's site access approval for days: a client-owned blocker spell, which
  the policies pause for, so the target is met on provider time and missed in the raw figure;
- a few breach, each for a reason on the work order's timeline: a failed visit (the engineer
  turned away at the site's security: the access list had not been updated; revisit booked) or a
  replacement part that arrived late (the part on the work order, and a service-desk blocker
  spell that does not pause the clock).

Rows are written in bulk (a few hundred work orders, a few thousand timeline entries).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any, NamedTuple

from opsdesk.accounts.models import User
from opsdesk.core import timeline
from opsdesk.core.models import Activity
from opsdesk.people.models import Engineer
from opsdesk.sites.businesstime import TWENTY_FOUR_SEVEN, Calendar
from opsdesk.sites.models import Site
from opsdesk.sites.rules import calendar_for
from opsdesk.workorders.category_rules import CATEGORY_POLICIES
from opsdesk.workorders.models import BlockerSpell, Part, WorkOrder

from .context import DemoContext, work_now
from .slas import HOSPITAL, PLANNED, REACTIVE, WORK_ORDER_DEFAULTS

UTC = dt.UTC
MONTHS = 6
PER_MONTH = 40
# Outcome -> weight: met, met only because the client's access approval paused the clock, breached.
OUTCOMES = {"met": 84, "client_access": 8, "failed_visit": 5, "late_part": 3}
PRIORITIES = {"p1": 4, "p2": 20, "p3": 56, "p4": 20}
CATEGORIES = {
    "break_fix": 30,
    "remote_hands": 30,
    "patching": 14,
    "cabling": 10,
    "audit": 8,
    "survey": 8,
}
FAILED_VISIT = (
    "Visit failed: the engineer was turned away at the site's security (our access list for the visit "
    "had not been updated); revisit booked"
)
LATE_PART = "the replacement part arrived two days late from the depot"


class Targets(NamedTuple):
    """Minutes of each target and whether they count business hours (None: no on-site target)."""

    response: int
    onsite: int | None
    resolution: int
    business: bool


def targets_for(client_code: str, priority: str, category: str) -> Targets:
    """The targets demo/slas.py's policies give this work (the hospital's contract, reactive, planned)."""
    if client_code == "northgate" and priority in HOSPITAL:
        response, onsite, resolution, business = HOSPITAL[priority]
        return Targets(response, onsite, resolution, business)
    if category in REACTIVE:
        response, onsite, resolution, business = WORK_ORDER_DEFAULTS[priority]
        return Targets(response, onsite, resolution, business)
    response, resolution = PLANNED[priority]
    return Targets(response, None, resolution, True)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Clock:
    """Instants a number of business minutes after a start, on one calendar."""

    def __init__(self, calendar: Calendar, start: dt.datetime) -> None:
        self.calendar = calendar
        self.base = calendar.business_at_s(start.timestamp())

    def after(self, minutes: float) -> dt.datetime:
        at = self.calendar.instant_at_s(self.base + minutes * 60.0)
        return dt.datetime.fromtimestamp(round(at / 60) * 60, UTC)  # whole minutes


def _steps(
    rng: random.Random, t: Targets, outcome: str, clock: _Clock
) -> tuple[list[tuple[dt.datetime, str, str]], dict[str, Any]]:
    """The transitions (at, to, reason) from submitted to completed, and the facts of the outcome."""
    response = t.response * rng.uniform(0.3, 0.8)
    finish = t.resolution * (
        rng.uniform(1.15, 1.6)
        if outcome in ("failed_visit", "late_part")
        else rng.uniform(0.35, 0.9)
    )
    facts: dict[str, Any] = {}
    if outcome == "client_access":
        # Work of 40-80 % of the target, plus 60-110 % of it waiting for the client's approval.
        waited = t.resolution * rng.uniform(0.6, 1.1)
        finish = t.resolution * rng.uniform(0.4, 0.8) + waited
        facts["waited"] = (clock.after(response + 5), clock.after(response + 5 + waited))
        facts["wait_minutes"] = waited
    onsite = (
        min(finish - 15, t.onsite * rng.uniform(0.4, 0.9))
        if t.onsite
        else finish * rng.uniform(0.75, 0.95)
    )
    if outcome == "client_access":  # nobody goes on site before the access is approved
        onsite = max(onsite, response + 5 + facts["wait_minutes"] + 30)
    onsite = max(onsite, response + 10)
    finish = max(finish, onsite + 15)
    if outcome == "late_part":
        facts["part"] = (clock.after(response + 5), clock.after(onsite - 20))
    ready, en_route = (
        response + (onsite - response) * 0.3,
        onsite - min(45, (onsite - response) * 0.2),
    )
    steps = [
        (clock.after(response * 0.4), "triage", "Request complete enough to triage"),
        (clock.after(response), "readiness", "Triage done"),
        (clock.after(ready), "ready", "Everything arranged"),
        (clock.after(ready + (en_route - ready) * 0.3), "scheduled", "Slot agreed with the client"),
        (clock.after(ready + (en_route - ready) * 0.6), "dispatched", "Engineer briefed"),
    ]
    if outcome == "failed_visit":
        first = ready + (en_route - ready) * 0.7
        steps += [
            (clock.after(first), "en_route", "Engineer travelling"),
            (clock.after(first + (en_route - first) * 0.2), "dispatched", FAILED_VISIT),
        ]
    steps += [
        (clock.after(en_route), "en_route", "Engineer travelling"),
        (clock.after(onsite), "on_site", "Checked in"),
        (clock.after(finish), "completed", "Checked out: work done and tested"),
    ]
    return steps, facts


def _sites(ctx: DemoContext) -> list[tuple[Site, list[Any]]]:
    """The first copy's sites and the clients each serves."""
    placed = [p.site for p in ctx.sites if p.copy == 0]
    served: dict[int, list[Any]] = defaultdict(list)
    for client in ctx.clients[0] if ctx.clients else []:
        for site_id in client.sites.values_list("id", flat=True):
            served[site_id].append(client)
    return [(s, served[s.pk]) for s in placed if served[s.pk]]


def build_sla_history(ctx: DemoContext) -> None:
    """Six months of closed work with whole timelines, most on time, some paused, a few breached."""
    rng = ctx.rng("sla_history")
    desk = User.objects.get(username="desk")
    sites = _sites(ctx)
    if not sites:
        return
    engineers: dict[int, list[int]] = defaultdict(list)
    for pk, region in (
        Engineer.objects.filter(active=True).order_by("id").values_list("id", "home_region_id")
    ):
        engineers[region].append(pk)
    calendars: dict[int, Calendar] = {}
    end = work_now(ctx) - dt.timedelta(days=3)
    start = end - dt.timedelta(days=30 * MONTHS)
    rows: list[
        tuple[WorkOrder, list[tuple[dt.datetime, str, str]], dict[str, Any], dt.datetime]
    ] = []
    for _ in range(PER_MONTH * MONTHS):
        site, clients = rng.choice(sites)
        client = rng.choice(clients)
        priority, category, outcome = (
            _pick(rng, PRIORITIES),
            _pick(rng, CATEGORIES),
            _pick(rng, OUTCOMES),
        )
        t = targets_for(client.code, priority, category)
        if site.pk not in calendars:
            calendars[site.pk] = calendar_for(
                site.time_zone, site.business_hours, site.holiday_country, site.holiday_subdivision
            )
        created = start + dt.timedelta(
            minutes=rng.randrange(int((end - start).total_seconds() // 60))
        )
        clock = _Clock(calendars[site.pk] if t.business else TWENTY_FOUR_SEVEN, created)
        created = clock.after(0)  # into business hours, as requests are read
        steps, facts = _steps(rng, t, outcome, clock)
        on_site, completed = steps[-2][0], steps[-1][0]
        title = f"{category.replace('_', ' ').capitalize()} at {site.name}"
        wo = WorkOrder(
            client=client,
            site=site,
            category=category,
            title=title,
            priority=priority,
            owner=desk,
            description=f"{title} for {client.name}.",
            window_start=on_site,
            window_end=completed,
            queue_at=on_site,
            estimated_minutes=60,
            state="closed",
            finished=True,
            engineer_id=rng.choice(engineers[site.region_id])
            if engineers[site.region_id]
            else None,
            first_time_fix=outcome != "failed_visit",
            checked_in_at=on_site,
            checked_out_at=completed,
            completed_at=completed,
            completion_report="Work done and tested with the client.",
            checklist=dict.fromkeys(CATEGORY_POLICIES[category][1], True),
        )
        rows.append((wo, steps, facts, created))
    _write(rows)
    ctx.count("SLA history work orders", len(rows))


def _write(
    rows: list[tuple[WorkOrder, list[tuple[dt.datetime, str, str]], dict[str, Any], dt.datetime]],
) -> None:
    """The work orders, their timelines, the waits on the client and the late parts, in bulk."""
    WorkOrder.objects.bulk_create([wo for wo, *_rest in rows], batch_size=500)
    for wo, _steps, _facts, created in rows:
        wo.created_at = wo.updated_at = created
    WorkOrder.objects.bulk_update(
        [wo for wo, *_rest in rows], ["created_at", "updated_at"], batch_size=500
    )
    activities: list[Activity] = []
    spells: list[BlockerSpell] = []
    parts: list[Part] = []
    for wo, steps, facts, created in rows:
        entries = [
            (created, "created", f"Work order submitted: {wo.title}", {}),
            *[
                (at, "transitioned", f"State {before} → {to}: {reason}", {"state": [before, to]})
                for (at, to, reason), before in zip(
                    steps, ["submitted", *(s[1] for s in steps)], strict=False
                )
            ],
        ]
        closed_at = steps[-1][0]
        entries += [
            (
                closed_at + dt.timedelta(days=1),
                "transitioned",
                "State completed → verified: The client confirmed",
                {"state": ["completed", "verified"]},
            ),
            (
                closed_at + dt.timedelta(days=2),
                "transitioned",
                "State verified → closed: Closed after verification",
                {"state": ["verified", "closed"]},
            ),
        ]
        if "waited" in facts:
            opened, closed = facts["waited"]
            spells.append(
                BlockerSpell(
                    work_order=wo,
                    key="requirement:access",
                    kind="site_requirement",
                    owner="client",
                    waiting_for="your site access approval",
                    opened_at=opened,
                    closed_at=closed,
                    detail=f"{wo.site.code} needs: the client's approval of the site access request.",
                )
            )
            entries.append(
                (
                    closed,
                    "arrangement_recorded",
                    "Access request: approved by the client "
                    f"after {(closed - opened).days} day(s) of waiting",
                    {},
                )
            )
        if "part" in facts:
            opened, closed = facts["part"]
            spells.append(
                BlockerSpell(
                    work_order=wo,
                    key="part:late",
                    kind="parts",
                    owner="service_desk",
                    waiting_for="the service desk to arrange the parts",
                    opened_at=opened,
                    closed_at=closed,
                    detail=f"Part PSU-750W is not at {wo.site.code} yet: {LATE_PART}.",
                )
            )
            parts.append(
                Part(
                    work_order=wo,
                    part_number="PSU-750W",
                    description="Hot-swap power supply",
                    quantity=1,
                    shipment=Part.Shipment.DELIVERED,
                    expected_at=opened + dt.timedelta(days=1),
                    delivered_at=closed,
                )
            )
            entries.append(
                (closed, "part_updated", f"Part PSU-750W delivered late: {LATE_PART}", {})
            )
        activities += [
            timeline.entry(wo, verb, actor=wo.owner, at=at, summary=summary, changes=changes,
                           visibility=Activity.Visibility.CLIENT)
            for at, verb, summary, changes in entries
        ]
    timeline.record_batch(activities)
    BlockerSpell.objects.bulk_create(spells)
    Part.objects.bulk_create(parts)
