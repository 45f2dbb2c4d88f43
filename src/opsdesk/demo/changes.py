"""Builder step for change management: windows and freezes that differ by site, and changes in
every state (some colliding, some emergencies, some failed with reviews).

Changes go through the lifecycle services, so clients, risk, approvals, timelines and the
core.schedule entries are what the product computes. The clock is frozen at each step's moment
(relative to the demo's today), so timelines and approvals read like a real history. Each
change's window is searched for, in its sites' own local times, so that it honours every site's
windows and freezes whatever day the demo is loaded on (or deliberately breaks them).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from opsdesk.accounts.models import User
from opsdesk.changes import queries, services
from opsdesk.changes.windows import queries as window_queries
from opsdesk.changes.windows import rules as window_rules
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.services.models import Service

from .context import DemoContext, frozen_before, validate, work_now
from .data import CLIENTS

UTC = dt.UTC
HOSPITALS = ("man-hosp", "lds-hosp", "tor-hosp", "syd-hosp")
# Local start times tried, in order, after a change's preferred one.
FALLBACK_HOURS = ("01:30", "02:00", "03:00", "23:00", "22:30", "00:30", "04:00", "20:30", "21:00")


class Rule(NamedTuple):
    """A window or freeze of the demo; `scope` is a site code, a region code or a client code."""

    kind: str
    name: str
    scope: str  # "site:lon-dc1", "region:EMEA", "client:orbit"
    start: str  # "<days from a reference>|HH:MM" resolved by _rule_start
    duration_minutes: int
    rrule: str


SITE_RULES = (
    Rule("window", "Sunday maintenance 01:00–05:00", "site:lon-dc1", "sunday|01:00", 240, "FREQ=WEEKLY;BYDAY=SU"),
    Rule("window", "Nights only 22:00–06:00", "site:fra-dc", "monday|22:00", 480, "FREQ=DAILY"),
    Rule("window", "Weekend window Saturday 22:00–Sunday 06:00", "site:nyc-dc", "saturday|22:00", 480, "FREQ=WEEKLY;BYDAY=SA"),
    *(
        Rule("freeze", "No change during clinic hours", f"site:{code}", "monday|07:00", 720,
             "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
        for code in HOSPITALS
    ),
    Rule("freeze", "Month-end close (Orbit Logistics)", "client:orbit", "month_end|00:00", 2880, "FREQ=MONTHLY;BYMONTHDAY=-2"),
)
REGION_RULES = (
    Rule("freeze", "EMEA Christmas and New Year freeze", "region:EMEA", "christmas|00:00", 17 * 24 * 60,
         "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=18"),
)


class Spec(NamedTuple):
    """One demo change: what, where (a client's services), when (days from today, local time), how far."""

    title: str
    client: str
    services: tuple[str, ...]
    state: str
    days: int
    at: str  # preferred local start at the first affected site
    minutes: int
    type: str = "normal"
    owner: str = "desk"
    team: str = ""
    group: str = ""  # changes of one group share one window (they collide)
    violate: bool = False  # deliberately inside a freeze / outside a window
    review: tuple[str, bool, str] | None = None  # outcome, caused an incident, lessons


SPECS = (
    Spec("Replace PDU in rack B12", "northgate", ("storage-replica",), "draft", 10, "01:30", 120, team="Facilities"),
    Spec("POS terminal firmware 4.2 pilot", "atlas", ("pos",), "draft", 12, "22:00", 90, "standard", team="Retail apps"),
    Spec("Core banking batch window tuning", "meridian", ("core-banking",), "submitted", 6, "23:00", 120, team="Core banking"),
    Spec("Nurse-call server security patch", "northgate", ("nurse-call",), "submitted", 3, "10:00", 60,
         team="Clinical systems", violate=True),
    Spec("Core network route reflector replacement", "meridian", ("core-network",), "submitted", 9, "03:00", 120,
         owner="dispatch", team="Network", group="meridian-net"),
    Spec("Kubernetes 1.30 upgrade", "helix", ("k8s",), "assessing", 8, "02:00", 240, team="Platform"),
    Spec("WMS database index rebuild", "orbit", ("wms-db",), "assessing", 5, "01:00", 120, team="Storage"),
    Spec("Storage replica firmware 8.4", "northgate", ("storage-replica",), "approved", 4, "01:30", 150,
         team="Storage", group="lon-storage"),
    Spec("DB cluster minor patch", "northgate", ("db-cluster",), "approved", 4, "01:30", 120,
         owner="commander", team="Storage", group="lon-storage"),
    Spec("Emergency EPR hotfix for login failures", "northgate", ("epr",), "approved", 1, "14:00", 60, "emergency",
         team="Clinical systems", violate=True),
    Spec("Payments gateway certificate rotation", "meridian", ("payments",), "scheduled", 9, "03:00", 90,
         team="Payments", group="meridian-net"),
    Spec("Object storage erasure coding change", "helix", ("object-storage",), "scheduled", 2, "23:00", 180,
         team="Platform", group="helix-storage"),
    Spec("Postgres failover test", "helix", ("postgres",), "scheduled", 2, "23:00", 60,
         owner="dispatch", team="Platform", group="helix-storage"),
    Spec("Emergency WAN carrier failover", "orbit", ("wan",), "scheduled", 1, "14:00", 60, "emergency", team="Network"),
    Spec("San zoning clean-up", "meridian", ("san",), "cancelled", 3, "23:00", 120, team="Storage"),
    Spec("API gateway rate-limit rollout", "helix", ("api-gateway",), "implementing", 0, "", 240, team="Platform"),
    Spec("Directory schema extension", "northgate", ("directory",), "completed", -12, "01:30", 120, team="Identity"),
    Spec("Market data feed handler upgrade", "meridian", ("market-data",), "reviewed", -20, "02:00", 120,
         team="Trading", review=("successful", False, "Pre-staging the binaries halved the outage; keep doing it.")),
    Spec("SaaS app release 24.11", "helix", ("saas-app",), "reviewed", -9, "02:00", 120, team="Apps",
         review=("rolled_back", False, "The schema migration locked a hot table; rehearse migrations on a prod-sized copy.")),
    Spec("SD-WAN controller upgrade", "atlas", ("sd-wan",), "reviewed", -16, "23:00", 180, team="Network",
         review=("failed", True, "Edge devices lost their tunnels (incident raised); upgrade a canary store first.")),
    Spec("Tracking API TLS hardening", "orbit", ("tracking",), "rolled_back", -4, "02:00", 90, team="Apps"),
    Spec("Hospital LAN switch stack upgrade", "northgate", ("hospital-lan",), "failed", -6, "02:00", 180, team="Network"),
    Spec("Trading floor LAN refresh", "meridian", ("trading-floor-lan",), "closed", -30, "22:00", 240, team="Network",
         review=("successful_with_issues", False, "Two patch panels were mislabelled; audit labels before the next refresh.")),
    Spec("Network fabric OS upgrade in business hours", "helix", ("network-fabric",), "rejected", 7, "11:00", 120,
         team="Network"),
    Spec("Office Wi-Fi survey fixes", "atlas", ("office-it",), "cancelled", 14, "20:30", 120, "standard", team="Retail apps"),
)
FINISH_REASONS = {
    "rolled_back": "Error rate above the trigger after the switch-over; rolled back within the plan's time.",
    "failed": "Two stacks did not come back after the reload; restored from the spare hardware.",
}


def build_changes(ctx: DemoContext) -> None:
    """Windows and freezes per site, region and client; then the story copies' changes through the services."""
    rng = ctx.rng("changes")
    rules = _windows(ctx)
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "desk", "dispatch", "engineer", "commander", "approver"])}
    clients = {
        (copy, c.code): User.objects.filter(client=ctx.client_for(copy, c.code), role="client").first()
        for copy in range(ctx.plan.story_copies) for c in CLIENTS
    }
    by_key = {(s.client_id, s.code): s for s in ctx.services}
    copies = range(ctx.plan.story_copies)
    made = 0
    for copy in copies:
        slots: dict[str, tuple[dt.datetime, dt.datetime, bool]] = {}
        for spec in SPECS:
            client = ctx.client_for(copy, spec.client)
            svcs = [by_key[client.pk, code] for code in spec.services]
            start, end, clean = _slot(ctx, spec, svcs, slots, rng)
            _drive(spec, svcs, start, end, clean, users, clients[copy, spec.client], ctx)
            made += 1
    ctx.count("change windows and freezes", rules)
    ctx.count("changes", made)


# --- windows and freezes ---------------------------------------------------------------------


def _rule_start(ref: str, today: dt.date) -> tuple[dt.date, dt.time]:
    """Anchor of a recurring rule: a named day before the demo's today, and the local time."""
    day, _, at = ref.partition("|")
    first = dt.date(today.year - 1, 1, 1)
    anchors = {
        "monday": first + dt.timedelta(days=-first.weekday() % 7),
        "saturday": first + dt.timedelta(days=(5 - first.weekday()) % 7),
        "sunday": first + dt.timedelta(days=(6 - first.weekday()) % 7),
        "christmas": dt.date(today.year - 1, 12, 18) if today >= dt.date(today.year, 1, 5) else dt.date(today.year - 2, 12, 18),
        "month_end": first + dt.timedelta(days=29),
    }
    return anchors[day], dt.time.fromisoformat(at)


def _windows(ctx: DemoContext) -> int:
    """Create each copy's site and client rules and the region-wide freeze (validated, in bulk)."""
    rows: list[ChangeWindow] = []

    def add(rule: Rule, **target: Any) -> None:
        start_on, start_time = _rule_start(rule.start, ctx.today)
        rrule = window_rules.validate_rrule(rule.rrule, dt.datetime.combine(start_on, start_time)) if rule.rrule else ""
        row = ChangeWindow(
            kind=rule.kind, name=rule.name, start_on=start_on, start_time=start_time,
            duration_minutes=rule.duration_minutes, rrule=rrule, **target,
        )
        validate(row)
        rows.append(row)

    for copy in range(ctx.plan.copies):
        sites = ctx.sites_of_copy(copy)
        for rule in SITE_RULES:
            kind, _, code = rule.scope.partition(":")
            if kind == "site":
                add(rule, site=sites[code].site)
            else:
                add(rule, client=ctx.client_for(copy, code))
    for rule in REGION_RULES:
        add(rule, region=ctx.regions[rule.scope.partition(":")[2]])
    ChangeWindow.objects.bulk_create(rows)
    return len(rows)


# --- finding a window ------------------------------------------------------------------------


def _slot(
    ctx: DemoContext, spec: Spec, svcs: list[Service], slots: dict[str, tuple[dt.datetime, dt.datetime, bool]],
    rng: random.Random,
) -> tuple[dt.datetime, dt.datetime, bool]:
    """The change's window: shared by its group, else searched day by day in its sites' local time.

    Returns (start, end, clean) where clean means no site's window or freeze is broken.
    """
    if spec.group and spec.group in slots:
        return slots[spec.group]
    group = [s for s in SPECS if spec.group and s.group == spec.group] or [spec]
    site_ids = sorted({site.pk for s in svcs for site in s.sites.all()} | _group_sites(ctx, group, svcs))
    cals = window_queries.site_calendars(site_ids)
    rules = window_queries.rules_for(cals)
    zone = window_rules.zone(cals[0].time_zone) if cals else UTC
    length = dt.timedelta(minutes=max(g.minutes for g in group))
    found = _search(ctx, spec, cals, rules, zone, length, rng)
    if spec.group:
        slots[spec.group] = found
    return found


def _group_sites(ctx: DemoContext, group: list[Spec], svcs: list[Service]) -> set[int]:
    """Sites of every change in the group (they share one window, so it must suit all of them)."""
    client_ids = {s.client_id for s in svcs}
    codes = {code for g in group for code in g.services}
    return {site.pk for s in ctx.services if s.client_id in client_ids and s.code in codes for site in s.sites.all()}


def _search(
    ctx: DemoContext, spec: Spec, cals: list[Any], rules: list[Any], zone: Any, length: dt.timedelta,
    rng: random.Random,
) -> tuple[dt.datetime, dt.datetime, bool]:
    """First day from today+days (going back for past changes) and local hour whose window is clean."""
    now = work_now(ctx)
    if spec.state == "implementing":  # under way now: started an hour ago
        start = now - dt.timedelta(hours=1)
        return start, start + length, not window_rules.check(start, start + length, cals, rules)
    base = ctx.today + dt.timedelta(days=spec.days)
    minute_jitter = rng.choice((0, 0, 15, 30))
    hours = (spec.at, *FALLBACK_HOURS) if spec.at else FALLBACK_HOURS
    if spec.violate:
        start = _local(base, spec.at, zone)
        return start, start + length, not window_rules.check(start, start + length, cals, rules)
    step = -1 if spec.days < 0 else 1
    for offset in range(0, 21):
        day = base + dt.timedelta(days=offset * step)
        for at in hours:
            start = _local(day, at, zone) + dt.timedelta(minutes=minute_jitter if at == spec.at else 0)
            if (start < now) != (spec.days < 0) and spec.days != 0:
                continue
            if not window_rules.check(start, start + length, cals, rules):
                return start, start + length, True
    start = _local(base, spec.at or "02:00", zone)
    return start, start + length, False


def _local(day: dt.date, at: str, zone: Any) -> dt.datetime:
    """A local wall-clock time on a day in a zone, as a UTC instant."""
    return dt.datetime.combine(day, dt.time.fromisoformat(at), tzinfo=zone).astimezone(UTC)


# --- driving a change through its lifecycle --------------------------------------------------


def _at(moment: dt.datetime, ctx: DemoContext) -> Any:
    """Freeze the clock at a step's moment (never after the demo's now)."""
    return frozen_before(moment, work_now(ctx))


def _drive(
    spec: Spec, svcs: list[Service], start: dt.datetime, end: dt.datetime, clean: bool,
    users: dict[str, User], client_user: User | None, ctx: DemoContext,
) -> None:
    """Create the change and take it to its demo state through the services."""
    owner = users[spec.owner]
    kind = spec.type if clean or spec.violate or spec.type == "emergency" else "emergency"
    if not clean and spec.state not in ("draft", "submitted", "cancelled") and kind != "emergency":
        kind = "emergency"
    created = min(start, work_now(ctx)) - dt.timedelta(days=5)
    with _at(created, ctx):
        change = services.create_change(
            {
                "type": kind, "title": spec.title, "team": spec.team,
                "description": f"{spec.title} for {svcs[0].client.name}.",
                "services": [s.pk for s in svcs], "window_start": start, "window_end": end,
                "implementation_plan": _plan(spec), "verification_plan": "Run the service's synthetic checks and "
                "compare error rates and latency with the hour before.",
                "rollback_plan": {"steps": "Revert to the previous version from the staged backup.",
                                  "trigger": "Synthetic checks failing or error rate doubled for 5 minutes.",
                                  "duration_minutes": max(15, spec.minutes // 4)},
            },
            actor=owner,
        )
    if spec.state == "draft":
        return
    if spec.state == "cancelled" and spec.days > 5:
        with _at(created + dt.timedelta(hours=2), ctx):
            services.transition_change(change, "cancelled", actor=owner, reason="Superseded by the office refit project.")
        return
    with _at(created + dt.timedelta(hours=1), ctx):
        change = services.transition_change(change, "submitted", actor=owner, reason="Ready for approval")
    if spec.state == "submitted":
        return
    if spec.state == "cancelled":
        with _at(created + dt.timedelta(days=1), ctx):
            services.transition_change(change, "cancelled", actor=owner, reason="The storage vendor recalled the firmware.")
        return
    if spec.state == "rejected":
        with _at(created + dt.timedelta(days=1), ctx):
            services.decide(change, users["approver"], capacity="change_approver", decision="rejected",
                            comment="Not in business hours on a critical fabric; move it to the weekend window.")
        return
    if spec.state == "assessing":
        with _at(created + dt.timedelta(days=1), ctx):
            services.transition_change(change, "assessing", actor=users["approver"], reason="Reviewing the rollback plan")
        return
    change = approve(change, users, client_user, created + dt.timedelta(days=1), ctx)
    if change.state != "approved":
        return
    if spec.state == "approved":
        return
    with _at(created + dt.timedelta(days=2), ctx):
        change = services.transition_change(change, "scheduled", actor=owner)
    if spec.state == "scheduled":
        return
    with _at(start, ctx):
        change = services.transition_change(change, "implementing", actor=owner, reason="Window opened")
    if spec.state == "implementing":
        return
    finish = {"rolled_back": "rolled_back", "failed": "failed"}.get(spec.state) or (
        spec.review[0] if spec.review and spec.review[0] in ("rolled_back", "failed") else "completed"
    )
    with _at(end, ctx):
        change = services.transition_change(change, finish, actor=owner, reason=FINISH_REASONS.get(finish, "Done"))
    if spec.review is None:
        return
    outcome, incident, lessons = spec.review
    with _at(end + dt.timedelta(days=2), ctx):
        change = services.record_review(change, outcome=outcome, caused_incident=incident, lessons=lessons, actor=owner)
    if spec.state == "closed":
        with _at(end + dt.timedelta(days=3), ctx):
            services.transition_change(change, "closed", actor=users["approver"], reason="Review accepted")


def approve(change: Any, users: dict[str, User], client_user: User | None, moment: dt.datetime, ctx: DemoContext) -> Any:
    """Give the approvals the change's risk asks for, one person each; the last one approves it."""
    status = queries.approval_status(change, change.risk_level, queries.window_violations(change))
    peers = [u for u in (users["engineer"], users["commander"], users["dispatch"]) if u.pk != change.owner_id]
    for step, need in enumerate(status.missing):
        if need.startswith("a client approver"):
            who, capacity = client_user, "client"
        elif need.startswith("an emergency"):
            who, capacity = users["admin"], "emergency"
        elif need == "a change approver":
            who, capacity = users["approver"], "change_approver"
        else:
            who, capacity = peers.pop(0), "peer"
        if who is None or change.state not in ("submitted", "assessing"):
            break
        with _at(moment + dt.timedelta(hours=step), ctx):
            change = services.decide(change, who, capacity=capacity, decision="approved", comment="Plan and rollback checked.")
    return change


def _plan(spec: Spec) -> str:
    return (
        f"1. Announce the start in the client channel.\n2. {spec.title}.\n"
        "3. Run the verification checks.\n4. Announce the end, or roll back on the trigger."
    )
