"""SLA clocks of one work order or incident at core.clock.now(), from its state history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
        return choose_policy(queries.candidate_policies(WORK_ORDER, obj.priority), client_ids=[obj.client_id],
                             level=obj.priority, category=obj.category)
    return choose_policy(queries.candidate_policies(INCIDENT, obj.severity),
                         client_ids=queries.incident_client_ids(user, obj), level=obj.severity)


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
    kind = WORK_ORDER if isinstance(obj, WorkOrder) else INCIDENT
    policy = policy_for(obj, user)
    if policy is None:
        return Sla(kind, obj.pk, None)
    calendar, zone = queries.calendar_of(obj, policy.business_hours)
    history = queries.state_history(obj)
    now = core_clock.now().timestamp()
    kw: dict[str, Any] = {"calendar": _NoDueIfNever(calendar), "pause_states": frozenset(policy.pause_states or ()), "now": now}
    goals = [(RESPONSE, policy.response_minutes), (ONSITE, policy.onsite_minutes), (RESOLUTION, policy.resolution_minutes)]
    targets = [
        _one(name, minutes, history, STOP_STATES[kind][name], **kw)
        for name, minutes in goals if minutes and name in STOP_STATES[kind]
    ]
    return Sla(kind, obj.pk, policy, business_hours=calendar is not TWENTY_FOUR_SEVEN, time_zone=zone, targets=targets)
