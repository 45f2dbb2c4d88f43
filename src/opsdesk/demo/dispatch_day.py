"""Builder step for the dispatch day: enough ready work in every region for a realistic day of dispatch.

The dispatch day is the next weekday (Mon-Fri) after the demo's now in the sites' zone
(`dispatch_day`). Per region the step creates about 3-4 visits per engineer on shift that day,
spread over the region's sites: windows of 2-4 h starting 08:00-14:00 site time, 30-120 minutes
of work, mostly P3, in categories that need no change (so the category policies let them through
on their own), each asking for skills (sometimes a certification) that an engineer of the region
who may work there at that time holds. Nobody is assigned: dispatch does that.

Per region the deliberate cases below and one doable work order go through the work order services
one by one, with their whole timeline (created by the service desk, triaged, the site's rules
arranged in time, then moved to ready through the readiness gate). The rest (hundreds of rows: a
service call costs ~15 ms) is written in bulk as the volume's open work is: rows, services, required
skills and certifications, delivered parts and approved arrangements, then the same gate's verdict
(`readiness.queries.evaluate_many`) decides ready or readiness and its readiness is stored, with
'submitted' and 'ready' timeline entries.

A few are deliberately not doable, and stay in `readiness` with blockers owned by dispatch only:
per region one or two ask for a skill nobody in the region holds (else a certification nobody
holds valid that day, else a skill none of the engineers with access at the site holds: in the
demo every skill and certification is held somewhere) and get the "people" blocker; and one is at
a site with permitted hours whose window only partly overlaps them (the "permitted_hours" blocker;
at a hospital the clinic-hours freeze also ends inside the window, and the work fits after it, so
readiness notes where and the plan places it there). A dispatch plan takes ready work and work in readiness whose only
open blockers are dispatch's, and reports these unassigned with the reason.

Slots are drawn, then checked in one batch by the product's own gate (freezes, permitted hours,
anyone eligible) and by `eligibility.judge` against the region's engineers, so what is meant to be
ready is ready whatever day the demo is loaded on.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from opsdesk.accounts.models import User
from opsdesk.core import timeline
from opsdesk.people.models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.sites.rules import applies_to
from opsdesk.workorders import eligibility, services
from opsdesk.workorders.category_rules import CATEGORY_FIELDS
from opsdesk.workorders.eligibility import AbsenceFact, AccessFact, EngineerFacts, WorkFacts
from opsdesk.workorders.models import Arrangement, Part, WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries
from opsdesk.workorders.readiness.batch import WorkRow
from opsdesk.workorders.readiness.rules import OWNERS

from . import backfill
from .context import DemoContext, frozen_before, km_between, work_now
from .data import CERTIFICATIONS, SKILLS
from .slas import REACTIVE
from .volume import TITLE_CHOICES

UTC = dt.UTC
DAY = dt.timedelta(days=1)
# Categories of the day's work and how often each occurs (install and decommission need a change).
CATEGORY_WEIGHTS = {"remote_hands": 30, "break_fix": 25, "patching": 20, "cabling": 10, "audit": 8, "survey": 7}
PRIORITY_WEIGHTS = {"p1": 5, "p2": 17, "p3": 58, "p4": 20}
STARTS = tuple(f"{h:02d}:{m:02d}" for h in range(8, 15) for m in (0, 30) if (h, m) <= (14, 0))
LENGTHS = (120, 150, 180, 240)  # minutes
MINUTES = (30, 45, 60, 60, 75, 90, 90, 120)
VISITS_PER_ENGINEER = (3.2, 3.8)
REACH_HOURS = 1.5  # an engineer plans visits at sites within this drive of their base
SITE_VISITS = 4  # at most this many visits at a site per engineer on shift who holds access there
# Doable work per region created one by one through the services (with its whole timeline); the
# rest is written in bulk (one service call costs ~15 ms: hundreds of them would slow the load).
TOLD_PER_REGION = 1
# Start times tried for the work at a site with permitted hours (any time of day, then partly inside).
PERMITTED_STARTS = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30))
SKILL_NAMES = dict(SKILLS)
CERT_NAMES = {code: name for code, name, _ in CERTIFICATIONS}
INFO = {
    "rack_location": "Hall 2, row C, rack 14, U20–U24",
    "site_contact": "Facilities desk, +44 20 7946 0100",
    "cable_schedule": "CS-211 rev B: 6 × Cat6A, 5 m",
    "port_map": "PP-2 ports 9–16 → sw-ac-03 Eth1/9–1/16",
    "task_steps": "Label, power down, reseat, power up, confirm link lights",
    "asset_tag": "AT-31877",
    "fault_description": "Amber fault LED; syslog reports a failed power supply",
    "audit_scope": "Hall 1 racks 1–20, power and labels",
    "survey_questions": "Free U per rack, power headroom per PDU, cable routes",
}


def dispatch_day(now: dt.datetime | dt.date, time_zone: str = "UTC") -> dt.date:
    """The day dispatch plans: the next weekday (Mon-Fri) after `now`'s local date in `time_zone`
    (a date is taken as that local date)."""
    day = now.astimezone(ZoneInfo(time_zone)).date() if isinstance(now, dt.datetime) else now
    day += DAY
    while day.weekday() >= 5:
        day += DAY
    return day


class Slot(NamedTuple):
    """Where and when one visit is wanted."""

    site: Site
    category: str
    start: dt.datetime
    end: dt.datetime


class Work(NamedTuple):
    """One work order of the day, ready to be created."""

    slot: Slot
    minutes: int
    priority: str
    skills: tuple[str, ...]
    certifications: tuple[str, ...]
    kind: str  # doable | nobody | permitted_hours


def build_dispatch_day(ctx: DemoContext) -> None:
    """Per region, the dispatch day's work (see the module notes): the deliberate cases and a few
    doable ones through the services, told in full; the rest in bulk, judged by the same gate."""
    rng = ctx.rng("dispatch day")
    now = work_now(ctx)
    users = {u.username: u for u in User.objects.filter(username__in=["desk", "dispatch"])}
    made = 0
    waiting: list[WorkOrder] = []
    for region in sorted(ctx.regions.values(), key=lambda r: r.pk):
        hosted = _hosting(region)
        work = _RegionPlan(ctx, region, now, rng).plan()
        doable = [w for w in work if w.kind == "doable"]
        told = [*doable[:TOLD_PER_REGION], *(w for w in work if w.kind != "doable")]
        for item in told:
            wo = _create(item, users, hosted, rng, now)
            if wo.state != "ready":
                waiting.append(wo)
        _bulk(region, doable[TOLD_PER_REGION:], users["desk"], hosted, rng, now)
        made += len(work)
    # What still waits on dispatch, as of the demo's now (at risk once a needed-by time has passed).
    with frozen_before(now, now):
        for wo in waiting:
            services.refresh_readiness(wo)
    ctx.count("work orders", made)  # curated, as opposed to the volume's generated ones


# --- planning ------------------------------------------------------------------------------------


class _RegionPlan:
    """The region's sites, rules and engineers as facts, and the work drawn for its dispatch day."""

    def __init__(self, ctx: DemoContext, region: Region, now: dt.datetime, rng: random.Random) -> None:
        self.ctx, self.region, self.now, self.rng = ctx, region, now, rng
        self.sites = [p.site for p in ctx.sites if p.site.region_id == region.pk]
        self.days = {s.pk: dispatch_day(now, s.time_zone) for s in self.sites}
        self.requirements: dict[int, list[tuple[str, tuple[str, ...], Any]]] = defaultdict(list)
        for site_id, kind, categories, hours in SiteRequirement.objects.filter(
            site__region=region, blocking=True
        ).order_by("id").values_list("site_id", "kind", "categories", "permitted_hours"):
            self.requirements[site_id].append((kind, tuple(categories or ()), hours))
        first, last = min(self.days.values(), default=now.date()), max(self.days.values(), default=now.date())
        self.engineers = _engineer_facts(region, first, last)
        # Only engineers holding something at a site can be eligible there (every visit needs access);
        # only those within reach of it (REACH_HOURS of driving) count for how much work it gets: an
        # APAC engineer in Sydney may hold access in Tokyo, but does not drive there for a day.
        bases = {
            i: (lat, lon) for i, lat, lon in Engineer.objects.filter(home_region=region).values_list(
                "id", "base_latitude", "base_longitude") if lat is not None and lon is not None
        }
        reach_km = region.travel_speed_kmh * REACH_HOURS
        places = {s.pk: (s.latitude, s.longitude) for s in self.sites if s.latitude is not None and s.longitude is not None}
        self.holders: dict[int, list[EngineerFacts]] = defaultdict(list)
        self.nearby: dict[int, list[EngineerFacts]] = defaultdict(list)
        for e in self.engineers:
            for site_id in e.access_by_site:
                self.holders[site_id].append(e)
                base, site = bases.get(e.id), places.get(site_id)
                if base is not None and site is not None and km_between(base, site) <= reach_km:
                    self.nearby[site_id].append(e)
        self._next_probe = 0

    # -- who works that day ----------------------------------------------------------------------

    def on_shift(self) -> list[EngineerFacts]:
        """Engineers with working hours on the dispatch day (their own weekday) and not away all of it."""
        found = []
        for e in self.engineers:
            day = dispatch_day(self.now, e.time_zone)
            if not e.working_hours.get(eligibility.WEEKDAYS[day.weekday()]):
                continue
            tz = ZoneInfo(e.time_zone)
            start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
            if any(a.start_at <= start and a.end_at >= start + DAY for a in e.absences):
                continue
            found.append(e)
        return found

    def plan(self) -> list[Work]:
        """The region's work: the deliberate ones first (from the first slots that allow them), then
        the doable visits, then the one partly outside a site's permitted hours."""
        if not self.sites or not self.engineers:
            return []
        target = round(len(self.on_shift()) * self.rng.uniform(*VISITS_PER_ENGINEER))
        wanted = self.rng.choice((1, 2))
        work: list[Work] = []
        rest: list[Slot] = []
        for slot in self._doable_slots(target + wanted + 4):
            impossible = self._nobody(slot) if len(work) < wanted else None
            if impossible is not None:
                work.append(impossible)
            else:
                rest.append(slot)
        work += [w for w in (self._doable(slot) for slot in rest[:target]) if w is not None]
        permitted = self._permitted_hours()
        if permitted is not None:
            work.append(permitted)
        return work

    # -- slots -----------------------------------------------------------------------------------

    def _draw(self) -> Slot:
        site = self.rng.choice(self.sites)
        category = _weighted(self.rng, CATEGORY_WEIGHTS)
        zone = ZoneInfo(site.time_zone)
        start = _local(self.days[site.pk], self.rng.choice(STARTS), zone)
        return Slot(site, category, start, start + dt.timedelta(minutes=self.rng.choice(LENGTHS)))

    def _kinds(self, slots: Sequence[Slot]) -> list[set[str]]:
        """The kinds of the gate's blockers for each slot, as empty work orders (one batch)."""
        rows = []
        for slot in slots:
            self._next_probe -= 1
            rows.append(WorkRow(
                self._next_probe, slot.site.pk, slot.category, slot.start, slot.end, {}, None, None, None,
            ))
        results = readiness_queries.evaluate_many(rows, self.now)
        return [{b.kind for b in results[row.id].blockers} for row in rows]

    def _doable_slots(self, n: int) -> list[Slot]:
        """Up to `n` slots where the site's hours and freezes allow the work and someone may do it,
        at most `SITE_VISITS` per engineer on shift holding access at the site (when freezes rule
        out most sites, the others do not get the whole region's day)."""
        working = {e.id for e in self.on_shift()}
        room = {s.pk: SITE_VISITS * sum(1 for e in self.nearby[s.pk] if e.id in working) for s in self.sites}
        found: list[Slot] = []
        for _ in range(12):
            if len(found) >= n:
                break
            drawn = [self._draw() for _ in range(3 * (n - len(found)) + 4)]
            for slot, kinds in zip(drawn, self._kinds(drawn), strict=True):
                if not kinds & {"freeze", "permitted_hours", "people"} and len(found) < n and room[slot.site.pk] > 0:
                    found.append(slot)
                    room[slot.site.pk] -= 1
        return found

    def _facts(self, slot: Slot, skills: Sequence[str] = (), certs: Sequence[str] = ()) -> WorkFacts:
        kinds = [k for k, categories, _ in self.requirements[slot.site.pk] if applies_to(categories, slot.category)]
        return WorkFacts(
            site_id=slot.site.pk, site_code=slot.site.code, time_zone=slot.site.time_zone,
            window_start=slot.start, window_end=slot.end,
            skills=tuple((c, SKILL_NAMES.get(c, c)) for c in skills),
            certifications=tuple((c, CERT_NAMES.get(c, c)) for c in certs),
            access_kinds=eligibility.access_kinds_for(kinds),
        )

    def _eligible(self, facts: WorkFacts) -> list[EngineerFacts]:
        return [e for e in self.holders[facts.site_id] if eligibility.judge(e, facts).eligible]

    # -- the work --------------------------------------------------------------------------------

    def _doable(self, slot: Slot) -> Work | None:
        """Work asking for what one engineer who may be there then, and lives within reach, holds
        (so someone can do it without crossing the region)."""
        near = {e.id for e in self.nearby[slot.site.pk]}
        eligible = [e for e in self._eligible(self._facts(slot)) if e.id in near]
        if not eligible:
            return None
        who = self.rng.choice(eligible)
        held = sorted(who.skills)
        roll = self.rng.random()
        skills = tuple(sorted(self.rng.sample(held, min(len(held), 2 if roll < 0.2 else 1)))) if roll < 0.9 else ()
        day = self.days[slot.site.pk]
        valid = sorted(c for c, expires in who.certifications.items() if expires is None or expires >= day)
        certs = (self.rng.choice(valid),) if valid and self.rng.random() < 0.25 else ()
        return Work(slot, self._minutes(slot), _weighted(self.rng, PRIORITY_WEIGHTS), skills, certs, "doable")

    def _minutes(self, slot: Slot) -> int:
        length = int((slot.end - slot.start).total_seconds() // 60)
        return min(self.rng.choice(MINUTES), length)

    def _nobody(self, slot: Slot) -> Work | None:
        """Work asking for a skill nobody in the region holds, else a certification nobody holds valid
        that day; failing both (the demo's engineers hold them all somewhere), a skill, else a skill and
        a certification, that none of the engineers who may be at the site then holds."""
        day = self.days[slot.site.pk]
        held = {c for e in self.engineers for c in e.skills}
        valid = {c for e in self.engineers for c, x in e.certifications.items() if x is None or x >= day}
        options: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((c,), ()) for c, _ in SKILLS if c not in held]
        options = options or [((), (c,)) for c, _, _ in CERTIFICATIONS if c not in valid]
        if not options:
            singles: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((c,), ()) for c, _ in SKILLS]
            pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
                ((c,), (k,)) for c, _ in SKILLS for k, _, _ in CERTIFICATIONS
            ]
            nobody = [o for o in singles if not self._eligible(self._facts(slot, *o))]
            options = nobody or [o for o in pairs if not self._eligible(self._facts(slot, *o))]
        if not options:
            return None
        skills, certs = self.rng.choice(options)
        return Work(slot, self._minutes(slot), _weighted(self.rng, PRIORITY_WEIGHTS), skills, certs, "nobody")

    def _permitted_hours(self) -> Work | None:
        """An hour's work at a site with permitted hours, its window only partly inside them:
        preferably one someone may do and whose first or last hour nothing blocks (so a visit fits
        in it: a hospital's clinic-hours freeze ends inside the window), else the least blocked."""
        candidates: list[Slot] = []
        for site in self.sites:
            for kind, categories, hours in self.requirements[site.pk]:
                if kind != "permitted_hours" or not hours:
                    continue
                category = next((c for c in CATEGORY_WEIGHTS if applies_to(categories, c)), None)
                if category is None:
                    continue
                zone = ZoneInfo(site.time_zone)
                for at in PERMITTED_STARTS:
                    for length in (120, 180, 240):
                        start = _local(self.days[site.pk], at, zone)
                        end = start + dt.timedelta(minutes=length)
                        state, _ = eligibility.coverage(hours, site.time_zone, start, end)
                        if state in ("ends_early", "starts_late"):
                            candidates.append(Slot(site, category, start, end))
        if not candidates:
            return None
        hour = dt.timedelta(hours=1)
        heads = [s._replace(end=s.start + hour) for s in candidates]
        tails = [s._replace(start=s.end - hour) for s in candidates]
        kinds = self._kinds([*candidates, *heads, *tails])
        n = len(candidates)
        blocking = {"freeze", "permitted_hours", "people"}

        def rank(i: int) -> tuple[bool, bool]:
            fits = not kinds[n + i] & blocking or not kinds[2 * n + i] & blocking
            return "people" in kinds[i], not fits

        best = min(rank(i) for i in range(n))
        slot = self.rng.choice([candidates[i] for i in range(n) if rank(i) == best])
        return Work(slot, 60, "p3", (), (), "permitted_hours")


def _engineer_facts(region: Region, first: dt.date, last: dt.date) -> list[EngineerFacts]:
    """The region's active engineers as eligibility reads them (absences around the days)."""
    rows = list(Engineer.objects.filter(home_region=region, active=True).order_by("id").values_list(
        "id", "name", "time_zone", "working_hours"
    ))
    mine = Engineer.objects.filter(home_region=region, active=True)
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for eng, code, level in EngineerSkill.objects.filter(engineer__in=mine).values_list(
        "engineer_id", "skill__code", "level"
    ):
        skills[eng][code] = level
    certs: dict[int, dict[str, dt.date | None]] = defaultdict(dict)
    for eng, code, expires in EngineerCertification.objects.filter(engineer__in=mine).order_by("expires_on").values_list(
        "engineer_id", "certification__code", "expires_on"
    ):
        certs[eng][code] = expires
    access: dict[int, list[AccessFact]] = defaultdict(list)
    for eng, site, kind, until in SiteAccess.objects.filter(engineer__in=mine).order_by("id").values_list(
        "engineer_id", "site_id", "kind", "expires_on"
    ):
        access[eng].append(AccessFact(site, kind, until))
    lo = dt.datetime.combine(first - DAY, dt.time(), tzinfo=UTC)
    hi = dt.datetime.combine(last + 2 * DAY, dt.time(), tzinfo=UTC)
    away: dict[int, list[AbsenceFact]] = defaultdict(list)
    for eng, a, b, reason in Absence.objects.filter(engineer__in=mine, start_at__lt=hi, end_at__gt=lo).values_list(
        "engineer_id", "start_at", "end_at", "reason"
    ):
        away[eng].append(AbsenceFact(a, b, reason))
    return [
        EngineerFacts(
            id=pk, name=name, time_zone=tz, working_hours=hours or {}, skills=skills[pk],
            certifications=certs[pk], site_access=tuple(access[pk]), absences=tuple(away[pk]),
        )
        for pk, name, tz, hours in rows
    ]


def _hosting(region: Region) -> dict[tuple[int, int], list[int]]:
    """(site, client) -> the client's services hosted at the site, for the region's sites."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for service_id, client_id, site_id in Service.sites.through.objects.filter(site__region=region).order_by(
        "service_id"
    ).values_list("service_id", "service__client_id", "site_id"):
        found[site_id, client_id].append(service_id)
    return found


# --- through the services ------------------------------------------------------------------------



def _create(
    work: Work, users: dict[str, User], hosted: dict[tuple[int, int], list[int]],
    rng: random.Random, now: dt.datetime,
) -> WorkOrder:
    """Create the work order as the service desk, triage it, arrange the site's rules in time and move
    it to ready through the gate; the deliberate ones stay in readiness with dispatch's blockers."""
    slot = work.slot
    desk, dispatch = users["desk"], users["dispatch"]
    clients = list(slot.site.clients.order_by("id").values_list("id", flat=True))
    client_id = rng.choice(clients)
    title = rng.choice(TITLE_CHOICES[slot.category])
    created = now - dt.timedelta(days=rng.choice((11, 12, 13)), hours=rng.randint(0, 8))
    info = {f.key: INFO.get(f.key, title) for f in CATEGORY_FIELDS if f.category == slot.category}
    parts = []
    if slot.category == "break_fix":
        parts = [{"part_number": "PSU-750W", "description": "Hot-swap power supply", "quantity": 1,
                  "shipment": Part.Shipment.DELIVERED, "expected_at": created + dt.timedelta(days=2)}]
    data: dict[str, Any] = {
        "client": client_id, "site": slot.site.pk, "services": hosted.get((slot.site.pk, client_id), [])[:2],
        "category": slot.category, "title": title, "priority": work.priority,
        "description": f"{title} at {slot.site.name}.", "window_start": slot.start, "window_end": slot.end,
        "estimated_minutes": work.minutes, "info": info, "parts": parts,
        "required_skills": list(work.skills), "required_certifications": list(work.certifications),
    }
    with frozen_before(created, now):
        wo = services.create_work_order(data, actor=desk)
    with frozen_before(created + dt.timedelta(hours=1), now):
        wo = services.transition_work_order(wo, "triage", actor=desk, reason="Request complete enough to triage")
    with frozen_before(created + dt.timedelta(hours=2), now):
        wo = services.transition_work_order(wo, "readiness", actor=desk, reason="Triage done")
    arranged = created + dt.timedelta(hours=3)
    for requirement in slot.site.requirements.filter(blocking=True).order_by("id"):
        if requirement.kind not in OWNERS or not applies_to(requirement.categories or [], slot.category):
            continue
        with frozen_before(arranged, now):
            services.record_arrangement(
                wo, requirement.pk, state="approved", reference=f"REF-{wo.pk}-{requirement.pk}",
                note="Arranged by the service desk", actor=desk,
            )
        arranged += dt.timedelta(minutes=10)
    moment = now - dt.timedelta(hours=rng.randint(2, 30))
    with frozen_before(moment, now):
        wo.refresh_from_db()
        open_ = [b for b in readiness_queries.evaluate_work_order(wo).blockers if not b.overridden]
        for blocker in open_:
            if blocker.owner != "dispatch":  # nothing should be left; dispatch's are dispatch's to decide
                services.override_blocker(
                    wo, blocker.key, reason=f"Dispatcher decision: proceed ({blocker.detail})", actor=dispatch,
                )
        if not any(b.owner == "dispatch" for b in open_):
            wo = services.transition_work_order(wo, "ready", actor=desk, reason="Everything arranged")
    return wo


def _bulk(
    region: Region, works: Sequence[Work], desk: User, hosted: dict[tuple[int, int], list[int]],
    rng: random.Random, now: dt.datetime,
) -> None:
    """The rest of the region's day in bulk, as the volume's open work is written: the rows, their
    services, skills, certifications, parts and approved arrangements, then the gate's verdict at
    the demo's now (ready when nothing blocks, else readiness) with the readiness stored."""
    if not works:
        return
    served: dict[int, list[int]] = defaultdict(list)
    for site_id, client_id in Site.clients.through.objects.filter(site__region=region).order_by("id").values_list(
        "site_id", "client_id"
    ):
        served[site_id].append(client_id)
    rules: dict[int, list[SiteRequirement]] = defaultdict(list)
    for req in SiteRequirement.objects.filter(site__region=region, blocking=True).order_by("id"):
        rules[req.site_id].append(req)
    team = f"Service desk {region.code}"
    rows: list[WorkOrder] = []
    created_at: list[dt.datetime] = []
    arranged_at: list[dt.datetime] = []
    for work in works:
        slot = work.slot
        title = rng.choice(TITLE_CHOICES[slot.category])
        # Reactive work (break-fix, remote hands) came in in the last hours, its clocks running towards
        # the visit; what the site needs ahead stands arranged (its access list, from a fortnight
        # ago). Planned work was booked a fortnight ahead.
        booked = now - dt.timedelta(days=rng.choice((11, 12, 13)), hours=rng.randint(0, 8))
        recent = now - dt.timedelta(minutes=rng.randint(40, 180))
        created = recent if slot.category in REACTIVE else booked
        arranged_at.append(booked + dt.timedelta(hours=3))
        created_at.append(created)
        rows.append(WorkOrder(
            client_id=rng.choice(served[slot.site.pk]), site=slot.site, category=slot.category, title=title,
            description=f"{title} at {slot.site.name}.",
            info={f.key: INFO.get(f.key, title) for f in CATEGORY_FIELDS if f.category == slot.category},
            window_start=slot.start, window_end=slot.end, priority=work.priority, estimated_minutes=work.minutes,
            owner=desk, team=team, state="readiness",
        ))
    WorkOrder.objects.bulk_create(rows)
    skills = dict(Skill.objects.values_list("code", "id"))
    certs = dict(Certification.objects.values_list("code", "id"))
    links_s, links_k, links_c, parts, arrangements = [], [], [], [], []
    m2m: dict[int, dict[str, list[int]]] = {}
    arranged_by: dict[int, list[Arrangement]] = defaultdict(list)
    for wo, work, created, arranged in zip(rows, works, created_at, arranged_at, strict=True):
        wo.created_at = wo.updated_at = created
        m2m[wo.pk] = {
            "services": hosted.get((wo.site_id, wo.client_id), [])[:2],
            "required_skills": [skills[c] for c in work.skills],
            "required_certifications": [certs[c] for c in work.certifications],
        }
        links_s += [WorkOrder.services.through(workorder_id=wo.pk, service_id=s) for s in m2m[wo.pk]["services"]]
        links_k += [WorkOrder.required_skills.through(workorder_id=wo.pk, skill_id=k)
                    for k in m2m[wo.pk]["required_skills"]]
        links_c += [WorkOrder.required_certifications.through(workorder_id=wo.pk, certification_id=c)
                    for c in m2m[wo.pk]["required_certifications"]]
        if wo.category == "break_fix":
            parts.append(Part(work_order=wo, part_number="PSU-750W", description="Hot-swap power supply", quantity=1,
                              shipment=Part.Shipment.DELIVERED, expected_at=arranged + dt.timedelta(days=2),
                              delivered_at=arranged + dt.timedelta(days=2)))
        at = arranged
        for req in rules[wo.site_id]:
            if req.kind in OWNERS and applies_to(req.categories or [], wo.category):
                arranged_by[wo.pk].append(Arrangement(
                    work_order=wo, requirement=req, state="approved", submitted_at=at, approved_at=at,
                    reference=f"REF-{wo.pk}-{req.pk}", note="Arranged by the service desk",
                ))
                at += dt.timedelta(minutes=10)
    arrangements = [a for wo in rows for a in arranged_by[wo.pk]]
    WorkOrder.objects.bulk_update(rows, ["created_at", "updated_at"])
    WorkOrder.services.through.objects.bulk_create(links_s)
    WorkOrder.required_skills.through.objects.bulk_create(links_k)
    WorkOrder.required_certifications.through.objects.bulk_create(links_c)
    Part.objects.bulk_create(parts)
    Arrangement.objects.bulk_create(arrangements)
    results = readiness_queries.evaluate_many(rows, now)
    history: list[Any] = []
    for wo, created in zip(rows, created_at, strict=True):
        result = results[wo.pk]
        data = readiness_queries.as_json(result)
        data["notified"] = []
        # The gate's verdict: only work nothing blocks is past it (as services.transition_work_order).
        wo.state = "ready" if result.ready else "readiness"
        wo.blocked, wo.at_risk, wo.next_needed_by, wo.readiness = not result.ready, result.at_risk, result.next_needed_by, data
        ready_at = now - (now - created) * rng.uniform(0.05, 0.2) if result.ready else None
        history += backfill.work_order_history(wo, desk, created, m2m[wo.pk], arranged_by[wo.pk], ready_at, now)
    WorkOrder.objects.bulk_update(rows, ["state", "blocked", "at_risk", "next_needed_by", "readiness"])
    timeline.record_batch(history)


def _local(day: dt.date, at: str, zone: ZoneInfo) -> dt.datetime:
    """A site-local wall-clock time on a day, as a UTC instant."""
    return dt.datetime.combine(day, dt.time.fromisoformat(at), tzinfo=zone).astimezone(UTC)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
