"""SLA clocks of work orders and incidents at core.clock.now(), from their state histories (in batches)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsdesk.core import clock as core_clock
from opsdesk.incidents.models import Incident
from opsdesk.sites.businesstime import TWENTY_FOUR_SEVEN, Calendar
from opsdesk.workorders.models import WorkOrder

from . import pauses as pause_rules
from . import queries
from .models import SlaPolicy
from .pauses import STATE_WORDS, Spell, duration_words
from .rules import Clock, clocks_of, pauses_of, spans, with_waits
from .targets import (
    CANCELLED,
    INCIDENT,
    ONSITE,
    RESOLUTION,
    RESPONSE,
    STOP_STATES,
    UNMEASURED,
    WORK_ORDER,
    choose_policy,
)


@dataclass
class Pause:
    """One stretch that held a clock: why (plain words for the client), the detail for staff, how long."""

    reason: str
    detail: str
    party: str  # client, third_party, or "state" (a pause state of the policy)
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None: still paused
    minutes: float


@dataclass
class TargetClock:
    """One target's clock as the API shows it (minutes of business time)."""

    target: str
    target_minutes: int
    status: str  # running, at_risk, paused, met, breached, cancelled, not_started, unmeasured
    elapsed_minutes: float = 0.0
    remaining_minutes: float = 0.0
    paused_minutes: float = 0.0
    due_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    at_risk_at: dt.datetime | None = None
    pauses: list[Pause] = field(default_factory=list)
    paused_since: dt.datetime | None = None

    @property
    def raw_elapsed_minutes(self) -> float:
        """Elapsed business minutes as if nothing had paused the clock (the raw, unpaused figure)."""
        return round(self.elapsed_minutes + self.paused_minutes, 2)

    @property
    def pause_summary(self) -> str:
        """'paused 2d 4h: waiting for your site access approval' (the reasons, longest first)."""
        if not self.pauses:
            return ""
        reasons: dict[str, float] = {}
        for p in self.pauses:
            reasons[p.reason] = reasons.get(p.reason, 0.0) + p.minutes
        words = "; ".join(sorted(reasons, key=lambda r: -reasons[r]))
        return f"paused {duration_words(self.paused_minutes)}: {words}"


@dataclass
class Sla:
    """The SLA of one object: the policy that applies (or None) and a clock per target."""

    kind: str
    object_id: int
    policy: SlaPolicy | None
    business_hours: bool = False
    time_zone: str = "UTC"
    targets: list[TargetClock] = field(default_factory=list)


def _at(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, 2)


def policy_for(obj: WorkOrder | Incident, user: Any = None) -> SlaPolicy | None:
    """The most specific active policy for the object (see slas.targets.choose_policy)."""
    if isinstance(obj, WorkOrder):
        return _work_order_policies([obj])[obj.pk]
    return _incident_policies([obj], user)[obj.pk]


def _work_order_policies(work_orders: Sequence[WorkOrder]) -> dict[int, SlaPolicy | None]:
    policies = queries.candidate_policies(WORK_ORDER, {wo.priority for wo in work_orders})
    return {wo.pk: choose_policy(policies, client_ids=[wo.client_id], level=wo.priority, category=wo.category)
            for wo in work_orders}


def _incident_policies(incidents: Sequence[Incident], user: Any) -> dict[int, SlaPolicy | None]:
    policies = queries.candidate_policies(INCIDENT, {i.severity for i in incidents})
    if not policies:
        return {i.pk: None for i in incidents}
    clients = queries.incident_client_ids(user, incidents)
    return {i.pk: choose_policy(policies, client_ids=clients[i.pk], level=i.severity) for i in incidents}


def status_of(c: Clock, stopped_by: str | None, history_length: int) -> str:
    """The stored and shown status: the clock's, except "cancelled" (stopped by a cancellation:
    the target no longer applies) and "unmeasured" (stopped by the history's only entry: work
    imported already past the target, e.g. generated history, has no clock to measure)."""
    if stopped_by == CANCELLED:
        return CANCELLED
    if stopped_by is not None and history_length == 1:
        return UNMEASURED
    return str(c.status)


def _target_clock(target: str, minutes: int, c: Clock, stopped_by: str | None, history_length: int) -> TargetClock:
    status = status_of(c, stopped_by, history_length)
    return TargetClock(
        target, minutes, status, elapsed_minutes=_minutes(c.elapsed_s), remaining_minutes=_minutes(c.remaining_s),
        paused_minutes=_minutes(c.paused_s), due_at=_at(c.due_at), stopped_at=_at(c.stopped_at),
        breached_at=_at(c.breached_at), at_risk_at=_at(c.at_risk_at),
    )


def sla_of(obj: WorkOrder | Incident, user: Any = None) -> Sla:
    """The object's SLA at core.clock.now(): no targets when no policy applies."""
    if isinstance(obj, WorkOrder):
        return clocks_for_work_orders([obj])[obj.pk]
    return clocks_for_incidents([obj], user)[obj.pk]


def clocks_for_work_orders(work_orders: Iterable[WorkOrder],
                           histories: dict[int, list[tuple[float, str]]] | None = None) -> dict[int, Sla]:
    """The SLA of each work order at core.clock.now(), in a fixed number of queries for any number:
    policies, state histories (unless given: queries.state_histories of them), sites (list rows
    may have loaded only some of their fields)."""
    wos = list(work_orders)
    if not wos:
        return {}
    policies = _work_order_policies(wos)
    spells = pause_rules.spells_for([wo.pk for wo in wos if policies[wo.pk] is not None])
    return _slas(WORK_ORDER, wos, policies, queries.work_order_calendars, histories, spells)


def clocks_for_incidents(incidents: Iterable[Incident], user: Any = None) -> dict[int, Sla]:
    """The SLA of each incident at core.clock.now() as `user` sees it (client users: their own
    client's policies), in a fixed number of queries for any number of incidents."""
    items = list(incidents)
    if not items:
        return {}
    policies = _incident_policies(items, user)
    return _slas(INCIDENT, items, policies, queries.incident_calendars)


def _slas(kind: str, objs: Sequence[Any], policies: dict[int, SlaPolicy | None],
          calendars_of: Callable[[Sequence[Any]], dict[int, tuple[Calendar, str]]],
          histories: dict[int, list[tuple[float, str]]] | None = None,
          spells: dict[int, list[Spell]] | None = None) -> dict[int, Sla]:
    out = {o.pk: Sla(kind, o.pk, None) for o in objs if policies[o.pk] is None}
    covered = [(o, p) for o in objs if (p := policies[o.pk]) is not None]
    if not covered:
        return out
    if histories is None:
        histories = queries.state_histories([o for o, _p in covered])
    needs_site = [o for o, p in covered if p.business_hours]  # 24x7 policies need no calendar
    calendars = calendars_of(needs_site) if needs_site else {}
    now = core_clock.now().timestamp()
    for obj, policy in covered:
        calendar, zone = calendars.get(obj.pk, (TWENTY_FOUR_SEVEN, "UTC"))
        out[obj.pk] = _sla(kind, obj.pk, policy, calendar, zone, histories[obj.pk], now,
                           (spells or {}).get(obj.pk, []))
    return out


def goals_of(kind: str, policy: Any) -> list[tuple[str, int, frozenset[str]]]:
    """(target, minutes, stop states) of each target the policy sets for this kind of object."""
    goals = [(RESPONSE, policy.response_minutes), (ONSITE, policy.onsite_minutes), (RESOLUTION, policy.resolution_minutes)]
    return [(name, minutes, STOP_STATES[kind][name] | {CANCELLED})
            for name, minutes in goals if minutes and name in STOP_STATES[kind]]


def wait_goals(goals: list[tuple[str, int, frozenset[str]]]) -> frozenset[int]:
    """The goals a blocker pause holds: the resolution target only (response and arrival are the provider's)."""
    return frozenset(i for i, (name, _m, _s) in enumerate(goals) if name == RESOLUTION)


def _sla(kind: str, pk: int, policy: SlaPolicy, calendar: Calendar, zone: str,
         history: list[tuple[float, str]], now: float, spells: list[Spell] | None = None) -> Sla:
    goals = goals_of(kind, policy)
    sla = Sla(kind, pk, policy, business_hours=calendar is not TWENTY_FOUR_SEVEN, time_zone=zone)
    if not history:  # still a draft: the request has not reached the service desk
        sla.targets = [TargetClock(name, minutes, "not_started", remaining_minutes=float(minutes))
                       for name, minutes, _stops in goals]
        return sla
    pause_states = frozenset(policy.pause_states or ())
    parties = pause_rules.parties_of(policy)
    mine = [s for s in spells or () if s.party in parties]
    held = wait_goals(goals)
    computed = clocks_of(history, [(minutes * 60.0, stops) for _name, minutes, stops in goals], calendar=calendar,
                         pause_states=pause_states, now=now, waits=[(s.start, s.end) for s in mine], wait_goals=held)
    sla.targets = []
    for index, ((name, minutes, _s), (c, by)) in enumerate(zip(goals, computed, strict=True)):
        target = _target_clock(name, minutes, c, by, len(history))
        _explain(target, c, history, pause_states, mine if index in held else [], calendar, now)
        sla.targets.append(target)
    return sla


def _explain(target: TargetClock, c: Clock, history: list[tuple[float, str]], pause_states: frozenset[str],
             spells: list[Spell], calendar: Calendar, now: float) -> None:
    """Fill in why the clock paused (each stretch with its own business minutes) and since when it stands still."""
    if not c.paused_s:
        return
    start = history[0][0]
    until = c.stopped_at if c.stopped_at is not None else max(now, start)
    by_state = pauses_of(history, pause_states, until)
    states = {at: state for at, state in history}
    labelled: list[tuple[float, float | None, tuple[str, str, str]]] = [
        (ps, pe, (STATE_WORDS.get(states.get(ps, ""), states.get(ps, "").replace("_", " ")),
                  f"the work order was {states.get(ps, '').replace('_', ' ')}", "state"))
        for ps, pe in by_state
    ]
    labelled += [(s.start, s.end, (f"waiting for {s.waiting_for}", s.detail, s.party)) for s in spells]
    stopped = c.stopped_at is not None
    target.pauses = [Pause(reason, detail, party, dt.datetime.fromtimestamp(a, dt.UTC),
                           _at(until if b is None and stopped else b), _minutes(secs))
                     for a, b, secs, (reason, detail, party) in spans(labelled, calendar=calendar, start=start, until=until)
                     if secs > 0 or b is None]
    if c.status == "paused":
        merged = with_waits(by_state, [(s.start, s.end) for s in spells], start, until)
        current = next((ps for ps, pe in reversed(merged) if pe is None or pe > until), None)
        target.paused_since = _at(current)
