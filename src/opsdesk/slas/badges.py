"""The SLA badge of a list row: the most urgent open target in words (pure: an Sla in, words out)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .clocks import Sla, TargetClock

OPEN = ("breached", "at_risk", "running", "paused")
CSS = {"breached": "badge-danger", "at_risk": "badge-warn", "running": "badge-info", "paused": "badge-neutral"}
TARGET_LABELS = {"response": "Response", "onsite": "On-site arrival", "resolution": "Resolution"}


@dataclass(frozen=True)
class Badge:
    """What the badge says (the words carry the meaning), its title and its colour class."""

    text: str
    title: str
    css: str
    status: str


def duration_words(minutes: float) -> str:
    """Business time left in the largest sensible units: '2d 3h', '2h 15m', '40m' (rounded up to a minute)."""
    total = max(0, math.ceil(minutes - 1e-9))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def most_urgent(sla: Sla) -> TargetClock | None:
    """The target to show: breached first, then the running ones by time left, paused last; met,
    cancelled and not started ones are not shown."""
    open_targets = [t for t in sla.targets if t.status in OPEN]
    if not open_targets:
        return None

    def rank(t: TargetClock) -> tuple[int, float]:
        group = 0 if t.status == "breached" else 2 if t.status == "paused" else 1
        return (group, t.remaining_minutes)

    return min(open_targets, key=rank)


def badge(sla: Sla | None) -> Badge | None:
    """The row's badge, or None when no policy applies or no target is open."""
    if sla is None or sla.policy is None:
        return None
    target = most_urgent(sla)
    if target is None:
        return None
    name = TARGET_LABELS.get(target.target, target.target.capitalize())
    left = duration_words(target.remaining_minutes)
    if target.status == "breached":
        text, title = "SLA breached", f"{name} target missed"
    elif target.status == "paused":
        why = f": {target.pause_summary.split(': ', 1)[1]}" if target.pause_summary else ""
        text, title = "SLA paused", f"{name} clock paused{why}, {left} left"
    else:
        text = f"SLA at risk · {left} left" if target.status == "at_risk" else f"SLA {left} left"
        title = f"{name} due {_local(target, sla.time_zone)}" if target.due_at else f"{name}: {left} left"
    return Badge(text, title, CSS[target.status], target.status)


def _local(target: TargetClock, zone: str) -> str:
    assert target.due_at is not None
    return target.due_at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")
