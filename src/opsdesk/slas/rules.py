"""SLA clocks as a pure function of an object's state history (issue 6).

A clock measures one target (response, on-site arrival, resolution) of one object (a work order
or an incident) in the business time of a calendar (`sites.businesstime.Calendar`, or 24x7):

- it starts at the first entry of the history (the object's creation);
- it stops at the first entry whose state is one of `stop_states` (e.g. response: the first
  state past triage; resolution: completed or resolved); a later reopen does not restart it
  (the target was met or missed then);
- it stands still while the state is one of `pause_states` (waiting for the client, waiting
  for access, on hold);
- elapsed business time against the target gives its status: met (stopped within it),
  breached (beyond it, stopped or not), at risk (running, at least AT_RISK of it used),
  paused, or running; and, while it runs, the instant it will be due.

Nothing is stored that the history does not determine: editing the history (a back-dated state
change, a corrected pause) and computing again gives the consistent answer. Instants are POSIX
epoch seconds (floats) so that a million clocks are computed without datetime objects.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

AT_RISK = 0.75  # share of the target used from which a running clock is at risk


class BusinessTime(Protocol):
    """What a clock needs of a calendar (sites.businesstime.Calendar has it)."""

    def elapsed_s(self, a: float, b: float, pauses: Sequence[tuple[float, float | None]] = ()) -> float: ...

    def due_s(self, a: float, n: float, pauses: Sequence[tuple[float, float | None]] = ()) -> float | None: ...


class Status(enum.StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class Clock:
    """One target's clock at `now`."""

    target_s: float
    started_at: float
    elapsed_s: float
    status: Status
    stopped_at: float | None = None  # when the stop state was reached
    due_at: float | None = None  # when the target will be reached (None when stopped or paused for now)
    paused_s: float = 0.0  # business seconds the pauses held the clock

    @property
    def remaining_s(self) -> float:
        """Business seconds left before the target (negative when breached)."""
        return self.target_s - self.elapsed_s

    @property
    def used(self) -> float:
        """Share of the target used (1.0 at the target)."""
        return self.elapsed_s / self.target_s if self.target_s else 1.0


History = Sequence[tuple[float, str]]  # (at, the state entered), in time order


def pauses_of(history: History, pause_states: Collection[str], until: float) -> list[tuple[float, float | None]]:
    """The stretches of the history spent in a pause state, up to `until` (open-ended: None)."""
    out: list[tuple[float, float | None]] = []
    began: float | None = None
    for at, state in history:
        if at > until:
            break
        if state in pause_states:
            if began is None:
                began = at
        elif began is not None:
            out.append((began, at))
            began = None
    if began is not None:
        out.append((began, None))
    return out


def clock(history: History, *, calendar: BusinessTime, target_s: float, stop_states: Collection[str],
          pause_states: Collection[str] = (), now: float) -> Clock:
    """The clock of one target over a history at `now` (see the module's rules).

    A history out of time order is sorted first (a back-dated edit lands where it belongs).
    """
    if not history:
        raise ValueError("a clock needs at least the object's creation in its history")
    if target_s <= 0:
        raise ValueError(f"a target is a positive number of business seconds, not {target_s}")
    if any(b[0] < a[0] for a, b in pairwise(history)):
        history = sorted(history, key=lambda entry: entry[0])
    start = history[0][0]
    stopped_at = next((at for at, state in history if state in stop_states and at <= now), None)
    until = stopped_at if stopped_at is not None else max(now, start)
    pauses = pauses_of(history, pause_states, until)
    gross = calendar.elapsed_s(start, until)
    elapsed = calendar.elapsed_s(start, until, pauses) if pauses else gross
    paused = gross - elapsed
    if stopped_at is not None:
        status = Status.MET if elapsed <= target_s else Status.BREACHED
        return Clock(target_s, start, elapsed, status, stopped_at=stopped_at, paused_s=paused)
    if elapsed >= target_s:  # breached at 100 %, paused or not
        return Clock(target_s, start, elapsed, Status.BREACHED, paused_s=paused)
    if _paused_now(pauses):
        return Clock(target_s, start, elapsed, Status.PAUSED, paused_s=paused)
    due = calendar.due_s(start, target_s, pauses)
    status = Status.AT_RISK if elapsed >= AT_RISK * target_s else Status.RUNNING
    return Clock(target_s, start, elapsed, status, due_at=due, paused_s=paused)


def _paused_now(pauses: list[tuple[float, float | None]]) -> bool:
    return bool(pauses) and pauses[-1][1] is None
