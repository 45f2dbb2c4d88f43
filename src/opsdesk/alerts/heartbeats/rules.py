"""Pure decisions about heartbeats: their state machine, and which state a heartbeat is in at an instant."""

from __future__ import annotations

import datetime as dt

from opsdesk.core.fsm import Machine

NEW, UP, LATE, DOWN = "new", "up", "late", "down"
STATES = (NEW, UP, LATE, DOWN)
MACHINE = Machine.build("heartbeat", STATES, {
    NEW: {UP},
    UP: {LATE, DOWN},  # DOWN directly when the check ran late (the worker was down)
    LATE: {UP, DOWN},
    DOWN: {UP},
})
MAX_MINUTES = 7 * 24 * 60  # an interval or grace of at most a week


def due_at(last_ping_at: dt.datetime, interval_minutes: int) -> dt.datetime:
    """When the next ping is expected."""
    return last_ping_at + dt.timedelta(minutes=interval_minutes)


def down_at(last_ping_at: dt.datetime, interval_minutes: int, grace_minutes: int) -> dt.datetime:
    """When a missing ping raises the alert."""
    return due_at(last_ping_at, interval_minutes) + dt.timedelta(minutes=grace_minutes)


def state_at(last_ping_at: dt.datetime | None, interval_minutes: int, grace_minutes: int, now: dt.datetime) -> str:
    """The state a heartbeat is in at `now`: new before its first ping; up until due; late within
    the grace; down after it (a ping exactly at the instant still counts)."""
    if last_ping_at is None:
        return NEW
    if now <= due_at(last_ping_at, interval_minutes):
        return UP
    if now <= down_at(last_ping_at, interval_minutes, grace_minutes):
        return LATE
    return DOWN


def check_step(current: str, last_ping_at: dt.datetime | None, interval_minutes: int, grace_minutes: int,
               now: dt.datetime) -> str | None:
    """What the periodic check moves a heartbeat to (None: nothing); it never moves one up."""
    target = state_at(last_ping_at, interval_minutes, grace_minutes, now)
    if target in (NEW, UP) or target == current or not MACHINE.can(current, target):
        return None
    return target


def ping_step(current: str) -> str | None:
    """What a ping moves a heartbeat to (None: it stays up)."""
    return None if current == UP else UP


def limits_problem(interval_minutes: object, grace_minutes: object) -> dict[str, str]:
    """Field -> what is wrong with an interval or grace (empty: both fine)."""
    problems: dict[str, str] = {}
    for name, value, low in (("interval_minutes", interval_minutes, 1), ("grace_minutes", grace_minutes, 0)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_MINUTES:
            problems[name] = f"a whole number of minutes from {low} to {MAX_MINUTES}"
    return problems
