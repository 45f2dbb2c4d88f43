"""Builder step for work orders: the category rules as data, then work in every state across the demo
sites, blocked by each kind of site rule (each site's own), some at risk, some rework, and ready work
in every region for dispatch to plan.

Work orders go through the work order services, so readiness, blocked and at-risk are what the
product computes. The clock is frozen at each step's moment (relative to the demo's today), so the
timelines read like a real history and past work was ready when it was dispatched.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from opsdesk.accounts.models import User
from opsdesk.changes.models import ChangeRequest
from opsdesk.core.errors import DomainError
from opsdesk.services.models import Service
from opsdesk.workorders import services
from opsdesk.workorders.category_rules import (
    CATEGORY_FIELDS,
    CATEGORY_POLICIES,
    seed_category_rules,
)
from opsdesk.workorders.models import Part, WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries
from opsdesk.workorders.rules import OPEN_STATES

from .context import DemoContext, frozen_before, work_now

UTC = dt.UTC
# Requirement kinds the demo arranges ahead of the work (the others are rules followed on the day).
ARRANGED = ("access_request", "induction", "escort", "security_clearance", "method_statement", "compliance")


class Spec(NamedTuple):
    """One demo work order: what, for whom, where, when (days from today, site-local time), how far."""

    title: str
    client: str
    site: str
    category: str
    state: str
    days: int
    at: str
    minutes: int = 120
    priority: str = "p3"
    hold: str = ""  # the blocker the demo leaves in place: access, ipc, nights, freeze, clearance, part, info
    rework_of: str = ""  # title of the earlier work order this reworks
    team: str = "Service desk EMEA"
    mine: bool = False  # assigned to the `engineer` demo login (shows on their "my work")
    first_time_fix: bool = True


# fmt: off
SPECS: tuple[Spec, ...] = (
    # Blocked by each kind of site rule.
    Spec("Uplink cabling for the new top-of-rack switches", "meridian", "lon-dc1", "cabling", "readiness", 8, "10:00",
         hold="access"),
    Spec("Replace failed PSU in the core router", "meridian", "lon-dc1", "break_fix", "readiness", 2, "09:00",
         90, "p2", hold="access"),
    Spec("Swap line cards in the edge router", "helix", "fra-dc", "remote_hands", "blocked", 6, "11:00",
         hold="nights"),
    Spec("Wi-Fi coverage survey of ward 7", "northgate", "man-hosp", "survey", "readiness", 9, "19:30", hold="ipc"),
    Spec("Replace badge reader controller in outpatients", "northgate", "lds-hosp", "break_fix", "readiness", 4,
         "10:00", 60, "p2", hold="freeze"),
    Spec("Add a 10G cross-connect to the cage", "helix", "ams-colo", "patching", "readiness", 5, "10:00",
         hold="clearance"),
    Spec("Replace failed disk shelf controller", "meridian", "lon-dc2", "break_fix", "readiness", 3, "14:00",
         120, "p2", hold="part"),
    Spec("Decommission the legacy SAN array", "meridian", "lon-dc2", "decommission", "triage", 12, "10:00",
         240, hold="info"),
    Spec("Infection-control sign-off for ceiling cabling", "northgate", "tor-hosp", "cabling", "blocked", 7,
         "20:00", team="Service desk AMER", hold="ipc"),
    Spec("Expand the cage power to a third feed", "helix", "sin-colo", "survey", "readiness", 1, "10:00", 60,
         team="Service desk APAC", hold="clearance"),
    # Ready for dispatch, per region.
    Spec("Re-terminate the patch panel in row C", "helix", "fra-dc", "cabling", "ready", 5, "23:00"),
    Spec("Remote hands: reseat the storage line card", "meridian", "lon-dc2", "remote_hands", "ready", 3, "14:00", 60),
    Spec("Patch eight trading desks to the new switch", "meridian", "nyc-office", "patching", "ready", 4, "20:00",
         team="Service desk AMER"),
    Spec("Remote hands: swap the failed optics", "atlas", "chi-colo", "remote_hands", "ready", 2, "15:00", 60,
         team="Service desk AMER"),
    Spec("Rack audit of hall 2", "helix", "sao-dc", "audit", "ready", 6, "10:00", 180, "p4", team="Service desk AMER"),
    Spec("Remote hands: console into the warehouse firewall", "orbit", "blr-dc", "remote_hands", "ready", 3, "11:00", 60,
         team="Service desk APAC"),
    Spec("Patch the new tracking servers", "helix", "syd-dc", "patching", "ready", 4, "10:00",
         team="Service desk APAC"),
    # The engineer's day, and work under way.
    Spec("Replace the fan tray in the core switch", "northgate", "lon-dc2", "break_fix", "scheduled", 0, "15:00", 60,
         "p2", mine=True),
    Spec("Cable the new storage shelf", "meridian", "lon-dc2", "cabling", "dispatched", 0, "12:00", 120, mine=True),
    Spec("Remote hands: power-cycle the KVM", "northgate", "lon-dc2", "remote_hands", "en_route", 0, "10:00", 30,
         "p2", mine=True),
    Spec("Swap the failed disk in the backup server", "meridian", "lon-dc2", "break_fix", "on_site", 0, "09:00", 60,
         "p1", mine=True),
    Spec("Firewall pair installation", "meridian", "nyc-dc", "install", "scheduled", 6, "22:00", 240, "p2",
         team="Service desk AMER"),
    # Done, and a rework of done work.
    Spec("Patch the nurse-call gateway", "northgate", "syd-dc", "patching", "completed", -2, "10:00", 60,
         team="Service desk APAC", first_time_fix=False),
    Spec("Re-patch the nurse-call gateway (wrong VLAN)", "northgate", "syd-dc", "patching", "ready", 3, "10:00",
         60, "p2", rework_of="Patch the nurse-call gateway", team="Service desk APAC"),
    Spec("Survey the Dublin office riser", "atlas", "dub-office", "survey", "verified", -6, "10:00", 120),
    Spec("Install a top-of-rack switch", "meridian", "tyo-dc", "install", "closed", -14, "10:00", 180,
         team="Service desk APAC"),
    Spec("Replace the UPS battery string", "helix", "chi-colo", "break_fix", "closed", -20, "10:00", 180,
         team="Service desk AMER", first_time_fix=False),
    Spec("Replace the UPS battery string again (cell 4 failed)", "helix", "chi-colo", "break_fix", "completed", -5,
         "10:00", 120, rework_of="Replace the UPS battery string", team="Service desk AMER"),
    # The other states.
    Spec("Install the new core switches", "orbit", "blr-dc", "install", "draft", 20, "10:00", 480,
         team="Service desk APAC"),
    Spec("Remote hands: read the PDU meters", "orbit", "chi-colo", "remote_hands", "submitted", 9, "10:00", 30,
         team="Service desk AMER"),
    Spec("Audit the cage power usage", "helix", "ams-colo", "audit", "on_hold", 15, "10:00", 120),
    Spec("Survey the new office wing", "atlas", "dub-office", "survey", "cancelled", 10, "10:00"),
)
# fmt: on
CHAIN = ("submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route", "on_site", "completed",
         "verified", "closed")
HOLD_KINDS = {"access": "access_request", "ipc": "compliance"}
# Handoffs to dispatch that nobody has acknowledged yet (they escalate).
UNACKNOWLEDGED = frozenset({"Remote hands: swap the failed optics", "Patch the new tracking servers"})
# Site-local start times tried, in order, after a spec's preferred one.
SEARCH_HOURS = ("10:00", "14:00", "09:00", "23:00", "02:00", "20:00")


def build_workorders(ctx: DemoContext) -> None:
    """Category rules as data, then the story copies' work orders through the services."""
    seed_category_rules()
    users = {u.username: u for u in User.objects.filter(role__in=["service_desk", "dispatcher", "engineer", "client"])}
    rng = ctx.rng("workorders")
    made = 0
    for copy in range(ctx.plan.story_copies):
        built: dict[str, WorkOrder] = {}
        for spec in SPECS:
            if copy and spec.mine:
                continue
            built[spec.title] = _build(ctx, copy, spec, users, built, rng)
            made += 1
    # Readiness as of the demo's now (at risk where a needed-by time has passed meanwhile).
    with _at(work_now(ctx), ctx):
        stale = WorkOrder.objects.filter(state__in=sorted(OPEN_STATES), blocked=True).select_related("site", "owner")
        for wo in stale:
            services.refresh_readiness(wo)
    ctx.count("category rules", len(CATEGORY_FIELDS) + len(CATEGORY_POLICIES))
    ctx.count("work orders", made)


def _at(moment: dt.datetime, ctx: DemoContext) -> Any:
    """Freeze the clock at a step's moment (never after the demo's now)."""
    return frozen_before(moment, work_now(ctx))


def _window(ctx: DemoContext, spec: Spec, site: Any) -> tuple[dt.datetime, dt.datetime]:
    """The window in the site's local time: as the spec says for held and today's work (a weekday
    for a freeze hold), else the first slot from the preferred one that the site's permitted hours
    and freezes allow and some engineer can do."""
    zone = ZoneInfo(site.time_zone)
    day = ctx.today + dt.timedelta(days=spec.days)
    length = dt.timedelta(minutes=spec.minutes)
    if spec.hold == "freeze":
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    preferred = _local(day, spec.at, zone)
    if spec.hold or spec.mine or spec.state in ("draft", "submitted", "triage", "on_hold", "cancelled"):
        return preferred, preferred + length
    step = -1 if spec.days < 0 else 1
    for offset in range(3):
        for at in (spec.at, *SEARCH_HOURS):
            start = _local(day + dt.timedelta(days=offset * step), at, zone)
            probe = WorkOrder(site=site, category=spec.category, window_start=start, window_end=start + length, info={})
            blockers = readiness_queries.evaluate_work_order(probe).blockers
            if not any(b.kind in ("people", "permitted_hours", "freeze") for b in blockers):
                return start, start + length
    return preferred, preferred + length


def _local(day: dt.date, at: str, zone: ZoneInfo) -> dt.datetime:
    """A site-local wall-clock time on a day, as a UTC instant."""
    return dt.datetime.combine(day, dt.time.fromisoformat(at), tzinfo=zone).astimezone(UTC)


def _services_at(client_id: int, site_id: int, ctx: DemoContext) -> list[int]:
    """The client's services hosted at the site (the first two)."""
    through = Service.sites.through
    hosted = set(through.objects.filter(site_id=site_id).values_list("service_id", flat=True))
    return [s.pk for s in ctx.services if s.client_id == client_id and s.pk in hosted][:2]


def _build(
    ctx: DemoContext, copy: int, spec: Spec, users: dict[str, User], built: dict[str, WorkOrder], rng: random.Random
) -> WorkOrder:
    placed = ctx.sites_of_copy(copy)[_site_code(ctx, spec, users)]
    site, client = placed.site, ctx.client_for(copy, spec.client)
    start, end = _window(ctx, spec, site)
    desk = users["desk"]
    client_user = users.get(f"client-{client.code}")
    created = min(start, work_now(ctx)) - dt.timedelta(days=rng.choice((6, 7, 9)))
    info = {f.key: _info(f.key, spec) for f in CATEGORY_FIELDS if f.category == spec.category}
    if spec.hold == "info":
        info.pop("data_wipe_certificate", None)
    rework = built.get(spec.rework_of)
    data: dict[str, Any] = {
        "client": client.pk, "site": site.pk, "services": _services_at(client.pk, site.pk, ctx),
        "category": spec.category, "title": spec.title, "priority": spec.priority,
        "description": f"{spec.title} at {placed.definition.name} for {client.name}.",
        "window_start": start, "window_end": end, "estimated_minutes": spec.minutes, "info": info,
        "team": spec.team, "rework_of": rework.pk if rework else None,
        "parts": _parts(spec, start),
    }
    by_client = spec.state != "draft" and client_user is not None and rework is None
    with _at(created, ctx):
        if spec.state == "draft":
            data["state"] = "draft"
        wo = services.create_work_order(data, actor=client_user if by_client and client_user is not None else desk)
    if spec.state in ("draft", "submitted"):
        return wo
    moment = created + dt.timedelta(hours=2)
    if spec.state == "cancelled":
        with _at(moment, ctx):
            return services.transition_work_order(wo, "cancelled", actor=desk, reason="The client withdrew the request.")
    wo = _step(wo, "triage", desk, moment, ctx, "Request complete enough to triage")
    if spec.state == "triage":
        return wo
    if spec.state == "on_hold":
        return _step(wo, "on_hold", desk, moment + dt.timedelta(hours=1), ctx, "The client asked us to wait for their budget.")
    wo = _step(wo, "readiness", desk, moment + dt.timedelta(hours=1), ctx, "Triage done")
    wo = _arrange(wo, spec, users, moment + dt.timedelta(hours=3), ctx)
    if spec.hold:
        if spec.state == "blocked":
            wo = _step(wo, "blocked", desk, moment + dt.timedelta(hours=4), ctx, "Waiting on the site's rule (see readiness)")
        return wo
    return _drive(wo, spec, users, start, end, moment + dt.timedelta(hours=4), ctx)


def _site_code(ctx: DemoContext, spec: Spec, users: dict[str, User]) -> str:
    """The spec's site; today's work of the `engineer` login is at that engineer's home site."""
    engineer = getattr(users.get("engineer"), "engineer", None)
    if spec.mine and engineer is not None and engineer.pk in ctx.engineer_sites:
        return ctx.engineer_sites[engineer.pk].definition.code
    return spec.site


def _step(wo: WorkOrder, to: str, actor: User, moment: dt.datetime, ctx: DemoContext, reason: str) -> WorkOrder:
    with _at(moment, ctx):
        return services.transition_work_order(wo, to, actor=actor, reason=reason)


def _info(key: str, spec: Spec) -> str:
    """Plausible category information."""
    return {
        "rack_location": "Hall 2, row C, rack 14, U20–U24",
        "power_feed": "PDU A circuit 7, PDU B circuit 7",
        "part_numbers": "N9K-C93180YC-FX3 ×2",
        "site_contact": "Facilities desk, +44 20 7946 0100",
        "asset_tags": "AT-10422, AT-10423",
        "data_wipe_certificate": "WIPE-2291 (Blancco)",
        "cable_schedule": "CS-104 rev A: 12 × OM4 LC-LC, 8 m",
        "port_map": "PP-3 ports 1–8 → sw-ac-02 Eth1/1–1/8",
        "task_steps": "Label, power down, reseat, power up, confirm link lights",
        "asset_tag": "AT-20931",
        "fault_description": "Amber fault LED, syslog reports power supply 2 failed",
        "audit_scope": "Hall 2 racks 1–30, power and labels",
        "survey_questions": "Coverage per room at -67 dBm, cable routes, mounting points",
    }.get(key, spec.title)


def _parts(spec: Spec, start: dt.datetime) -> list[dict[str, Any]]:
    """Parts: one not delivered in time for a part hold, delivered ones for break-fix work."""
    if spec.hold == "part":
        return [{"part_number": "DSC-4410", "description": "Disk shelf controller", "quantity": 1,
                 "shipment": Part.Shipment.SHIPPED, "expected_at": start + dt.timedelta(days=2)}]
    if spec.category == "break_fix":
        return [{"part_number": "PSU-750W", "description": "Hot-swap power supply", "quantity": 1,
                 "shipment": Part.Shipment.DELIVERED, "expected_at": start - dt.timedelta(days=3)}]
    return []


def _arrange(wo: WorkOrder, spec: Spec, users: dict[str, User], moment: dt.datetime, ctx: DemoContext) -> WorkOrder:
    """Arrange the site's requirements, except the one the spec keeps open (left submitted)."""
    held = HOLD_KINDS.get(spec.hold)
    desk = users["desk"]
    for offset, requirement in enumerate(wo.site.requirements.all()):
        if requirement.kind not in ARRANGED:
            continue
        state = "submitted" if requirement.kind == held else "approved"
        # The one still waiting was submitted lately (so its readiness is as of the demo's now).
        when = work_now(ctx) - dt.timedelta(hours=1) if state == "submitted" else moment + dt.timedelta(minutes=10 * offset)
        with _at(when, ctx):
            try:
                services.record_arrangement(
                    wo, requirement.pk, state=state, reference=f"REF-{wo.pk}-{requirement.pk}",
                    note="Arranged by the service desk", actor=desk,
                )
            except DomainError:  # a requirement the category does not need
                continue
    if spec.hold == "clearance":
        wo = _assign(wo, users, moment, ctx, eligible=False)
    elif not spec.hold:
        wo = _assign(wo, users, moment, ctx, eligible=True, mine=spec.mine)
    if spec.category in ("install", "decommission") and not spec.hold:
        wo = _link_change(wo, users, moment, ctx)
    return wo


def _assign(
    wo: WorkOrder, users: dict[str, User], moment: dt.datetime, ctx: DemoContext, *, eligible: bool, mine: bool = False
) -> WorkOrder:
    """Assign the demo engineer (for 'my work'), an eligible engineer, or one lacking the clearance."""
    with _at(moment, ctx):
        verdicts = readiness_queries.eligible_engineers(wo)
        engineer_login = users.get("engineer")
        mine_id = getattr(getattr(engineer_login, "engineer", None), "pk", None)
        if mine and mine_id:
            choice = mine_id
        elif eligible:
            choice = next((v.engineer_id for v in verdicts if v.eligible), None)
        else:
            choice = next(
                (v.engineer_id for v in verdicts if not v.eligible and any("clearance" in r.lower() for r in v.reasons)),
                None,
            )
        if choice is None:
            return wo
        return services.assign(wo, choice, actor=users["dispatch"]) or wo


def _link_change(wo: WorkOrder, users: dict[str, User], moment: dt.datetime, ctx: DemoContext) -> WorkOrder:
    """Link an approved change of the client (install and decommission need one)."""
    change = (
        ChangeRequest.objects.filter(clients=wo.client_id, state__in=["approved", "scheduled", "completed", "reviewed", "closed"])
        .order_by("id").first()
    )
    if change is None:
        return wo
    with _at(moment, ctx):
        return services.update_work_order(wo, {"change": change.pk}, actor=users["desk"]) or wo


def _drive(
    wo: WorkOrder, spec: Spec, users: dict[str, User], start: dt.datetime, end: dt.datetime, moment: dt.datetime,
    ctx: DemoContext,
) -> WorkOrder:
    """Ready, then on through the lifecycle to the spec's state; what still blocks is overridden."""
    desk, dispatch = users["desk"], users["dispatch"]
    wo = _override_rest(wo, dispatch, moment, ctx)
    wo = _step(wo, "ready", desk, moment + dt.timedelta(minutes=30), ctx, "Everything arranged")
    wo = _hand_to_dispatch(wo, spec, users, moment + dt.timedelta(minutes=40), ctx)
    target = CHAIN.index(spec.state)
    plan = [
        ("scheduled", dispatch, min(start - dt.timedelta(days=1), moment + dt.timedelta(hours=2)), "Slot agreed with the client"),
        ("dispatched", dispatch, start - dt.timedelta(hours=3), "Engineer briefed"),
        ("en_route", dispatch, start - dt.timedelta(minutes=45), "Engineer travelling"),
    ]
    for to, actor, at, reason in plan:
        if CHAIN.index(to) > target:
            return wo
        wo = _step(wo, to, actor, at, ctx, reason)
    engineer_user = wo.engineer.user if wo.engineer_id and wo.engineer and wo.engineer.user else dispatch
    if target >= CHAIN.index("on_site"):
        with _at(start, ctx):
            wo = services.check_in(wo, actor=engineer_user) or wo
    if target >= CHAIN.index("completed"):
        checklist = {item: True for item in CATEGORY_POLICIES[spec.category][1]}
        with _at(end, ctx):
            wo = services.check_out(
                wo, checklist=checklist, report=_report(spec), first_time_fix=spec.first_time_fix, actor=engineer_user,
            ) or wo
    if target >= CHAIN.index("verified"):
        wo = _step(wo, "verified", desk, end + dt.timedelta(days=1), ctx, "The client confirmed the work")
    if target >= CHAIN.index("closed"):
        wo = _step(wo, "closed", desk, end + dt.timedelta(days=2), ctx, "Closed after verification")
    return wo


def _hand_to_dispatch(wo: WorkOrder, spec: Spec, users: dict[str, User], moment: dt.datetime, ctx: DemoContext) -> WorkOrder:
    """Ready work passes from the service desk to dispatch, acknowledged (one still waits for it)."""
    region = wo.site.region.code if wo.site.region_id else ""
    with _at(moment, ctx):
        handoff = services.hand_off(
            wo, to_user=users["dispatch"], to_team=f"Dispatch {region}".strip(), actor=users["desk"],
            done_so_far="Information complete and the site's rules arranged; readiness is green.",
            next_step="Plan the visit and confirm the engineer with the client.",
            open_questions="The client prefers the earliest slot." if spec.priority in ("p1", "p2") else "",
        )
    if spec.title not in UNACKNOWLEDGED:
        with _at(moment + dt.timedelta(minutes=25), ctx):
            services.acknowledge_handoff(handoff, actor=users["dispatch"])
    wo.refresh_from_db()
    return wo


def _override_rest(wo: WorkOrder, dispatch: User, moment: dt.datetime, ctx: DemoContext) -> WorkOrder:
    """Override what still blocks past work (its history predates a rule), with a recorded reason."""
    # One at a time, reading the readiness again after each: it is evaluated at `moment`, so the
    # blockers open then can differ from those stored when the work was created (a lead time that
    # has passed, an engineer's shift on that day), whatever day the demo is loaded on.
    with _at(moment, ctx):
        for _ in range(20):
            open_ = [b for b in readiness_queries.evaluate_work_order(wo).blockers if not b.overridden]
            if not open_:
                break
            services.override_blocker(
                wo, open_[0].key, reason=f"Dispatcher decision: proceed ({open_[0].detail})", actor=dispatch
            )
            wo.refresh_from_db()
    return wo


def _report(spec: Spec) -> str:
    done = "The fault is fixed and tested with the client." if spec.first_time_fix else (
        "Work done as requested, but the fault came back during testing; a follow-up visit is needed."
    )
    return f"{spec.title}: {done} Photos and readings are attached to the work order."
