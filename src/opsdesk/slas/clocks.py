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
from .rules import clock
from .targets import (
    CANCELLED,
    INCIDENT,
    ONSITE,
    RESOLUTION,
    RESPONSE,
    STOP_STATES,
    WORK_ORDER,
    choose_policy,
)


@dataclass
class TargetClock:
    """One target's clock as the API shows it (minutes of business time)."""

    target: str
    target_minutes: int
    status: str  # running, at_risk, paused, met, breached, cancelled, not_started
    elapsed_minutes: float = 0.0
    remaining_minutes: float = 0.0
    paused_minutes: float = 0.0
    due_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None


@dataclass
class Sla:
    """The SLA of one object: the policy that applies (or None) and a clock per target."""

    kind: str
    object_id: int
    policy: SlaPolicy | None
    business_hours: bool = False
    time_zone: str = "UTC"
    targets: list[TargetClock] = field(default_factory=list)


class _NoDueIfNever:
    """A calendar whose due instant is None (not an error) when it has no business time left,
    e.g. a site whose business hours close every day."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar

    def elapsed_s(self, a: float, b: float, pauses: Sequence[tuple[float, float | None]] = ()) -> float:
        return self.calendar.elapsed_s(a, b, pauses)

    def due_s(self, a: float, n: float, pauses: Sequence[tuple[float, float | None]] = ()) -> float | None:
        try:
            return self.calendar.due_s(a, n, pauses)
        except ValueError:
            return None


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


def _one(target: str, minutes: int, history: list[tuple[float, str]], stops: frozenset[str], **kw: Any) -> TargetClock:
    if not history:  # still a draft: the request has not reached the service desk
        return TargetClock(target, minutes, "not_started", remaining_minutes=float(minutes))
    c = clock(history, target_s=minutes * 60.0, stop_states=stops | {CANCELLED}, **kw)
    status = str(c.status)
    if c.stopped_at is not None:
        state = next(s for at, s in sorted(history) if at == c.stopped_at and s in stops | {CANCELLED})
        if state == CANCELLED:
            # Cancelled before the target was reached: the target no longer applies.
            status = CANCELLED
    return TargetClock(
        target, minutes, status, elapsed_minutes=_minutes(c.elapsed_s), remaining_minutes=_minutes(c.remaining_s),
        paused_minutes=_minutes(c.paused_s), due_at=_at(c.due_at), stopped_at=_at(c.stopped_at),
    )


def sla_of(obj: WorkOrder | Incident, user: Any = None) -> Sla:
    """The object's SLA at core.clock.now(): no targets when no policy applies."""
    if isinstance(obj, WorkOrder):
        return clocks_for_work_orders([obj])[obj.pk]
    return clocks_for_incidents([obj], user)[obj.pk]


def clocks_for_work_orders(work_orders: Iterable[WorkOrder]) -> dict[int, Sla]:
    """The SLA of each work order at core.clock.now(), in a fixed number of queries for any number:
    policies, state histories, sites (list rows may have loaded only some of their fields)."""
    wos = list(work_orders)
    if not wos:
        return {}
    policies = _work_order_policies(wos)
    return _slas(WORK_ORDER, wos, policies, queries.work_order_calendars)


def clocks_for_incidents(incidents: Iterable[Incident], user: Any = None) -> dict[int, Sla]:
    """The SLA of each incident at core.clock.now() as `user` sees it (client users: their own
    client's policies), in a fixed number of queries for any number of incidents."""
    items = list(incidents)
    if not items:
        return {}
    policies = _incident_policies(items, user)
    return _slas(INCIDENT, items, policies, queries.incident_calendars)


def _slas(kind: str, objs: Sequence[Any], policies: dict[int, SlaPolicy | None],
          calendars_of: Callable[[Sequence[Any]], dict[int, tuple[Calendar, str]]]) -> dict[int, Sla]:
    out = {o.pk: Sla(kind, o.pk, None) for o in objs if policies[o.pk] is None}
    covered = [(o, p) for o in objs if (p := policies[o.pk]) is not None]
    if not covered:
        return out
    histories = queries.state_histories([o for o, _p in covered])
    needs_site = [o for o, p in covered if p.business_hours]  # 24x7 policies need no calendar
    calendars = calendars_of(needs_site) if needs_site else {}
    now = core_clock.now().timestamp()
    for obj, policy in covered:
        calendar, zone = calendars.get(obj.pk, (TWENTY_FOUR_SEVEN, "UTC"))
        out[obj.pk] = _sla(kind, obj.pk, policy, calendar, zone, histories[obj.pk], now)
    return out


def _sla(kind: str, pk: int, policy: SlaPolicy, calendar: Calendar, zone: str,
         history: list[tuple[float, str]], now: float) -> Sla:
    kw: dict[str, Any] = {"calendar": _NoDueIfNever(calendar), "pause_states": frozenset(policy.pause_states or ()), "now": now}
    goals = [(RESPONSE, policy.response_minutes), (ONSITE, policy.onsite_minutes), (RESOLUTION, policy.resolution_minutes)]
    targets = [
        _one(name, minutes, history, STOP_STATES[kind][name], **kw)
        for name, minutes in goals if minutes and name in STOP_STATES[kind]
    ]
    return Sla(kind, pk, policy, business_hours=calendar is not TWENTY_FOUR_SEVEN, time_zone=zone, targets=targets)
