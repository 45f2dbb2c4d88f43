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

from . import queries
from .models import SlaPolicy
from .rules import Clock, clocks_of
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
    return _slas(WORK_ORDER, wos, policies, queries.work_order_calendars, histories)


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
          histories: dict[int, list[tuple[float, str]]] | None = None) -> dict[int, Sla]:
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
        out[obj.pk] = _sla(kind, obj.pk, policy, calendar, zone, histories[obj.pk], now)
    return out


def goals_of(kind: str, policy: Any) -> list[tuple[str, int, frozenset[str]]]:
    """(target, minutes, stop states) of each target the policy sets for this kind of object."""
    goals = [(RESPONSE, policy.response_minutes), (ONSITE, policy.onsite_minutes), (RESOLUTION, policy.resolution_minutes)]
    return [(name, minutes, STOP_STATES[kind][name] | {CANCELLED})
            for name, minutes in goals if minutes and name in STOP_STATES[kind]]


def _sla(kind: str, pk: int, policy: SlaPolicy, calendar: Calendar, zone: str,
         history: list[tuple[float, str]], now: float) -> Sla:
    goals = goals_of(kind, policy)
    sla = Sla(kind, pk, policy, business_hours=calendar is not TWENTY_FOUR_SEVEN, time_zone=zone)
    if not history:  # still a draft: the request has not reached the service desk
        sla.targets = [TargetClock(name, minutes, "not_started", remaining_minutes=float(minutes))
                       for name, minutes, _stops in goals]
        return sla
    computed = clocks_of(history, [(minutes * 60.0, stops) for _name, minutes, stops in goals], calendar=calendar,
                         pause_states=frozenset(policy.pause_states or ()), now=now)
    sla.targets = [_target_clock(name, minutes, c, by, len(history))
                   for (name, minutes, _s), (c, by) in zip(goals, computed, strict=True)]
    return sla
