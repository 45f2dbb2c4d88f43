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
  paused, or running; and, while it runs, the instant it will be due (once breached, the instant
  it was breached).

Nothing is stored that the history does not determine: editing the history (a back-dated state
change, a corrected pause) and computing again gives the consistent answer. Instants are POSIX
epoch seconds (floats) so that a million clocks are computed without datetime objects.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from itertools import pairwise
from typing import NamedTuple, Protocol, TypeVar

T = TypeVar("T")
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


class Clock(NamedTuple):
    """One target's clock at `now` (a named tuple: a million of them are made in a recompute)."""

    target_s: float
    started_at: float
    elapsed_s: float
    status: Status
    stopped_at: float | None = None  # when the stop state was reached
    due_at: float | None = None  # when the target will be reached (None when stopped or paused for now)
    paused_s: float = 0.0  # business seconds the pauses held the clock
    breached_at: float | None = None  # when the elapsed time reached the target (breached clocks only)
    at_risk_at: float | None = None  # when a running clock reaches AT_RISK of its target (running clocks only)

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


class Calendarlike(BusinessTime, Protocol):
    """What the bulk path needs besides: the cumulative business time and its inverse."""

    def business_at_s(self, t: float) -> float: ...

    def instant_at_s(self, total: float) -> float: ...


Goal = tuple[float, Collection[str]]  # (target in business seconds, the states that stop it)
Stretch = tuple[float, float | None]  # (start, end or None while it lasts)


def clock(history: History, *, calendar: Calendarlike, target_s: float, stop_states: Collection[str],
          pause_states: Collection[str] = (), now: float, waits: Sequence[Stretch] = ()) -> Clock:
    """The clock of one target over a history at `now` (see the module's rules), `waits` holding it too.

    A history out of time order is sorted first (a back-dated edit lands where it belongs).
    """
    if any(b[0] < a[0] for a, b in pairwise(history)):
        history = sorted(history, key=lambda entry: entry[0])
    return clocks_of(history, [(target_s, stop_states)], calendar=calendar, pause_states=pause_states, now=now,
                     waits=waits)[0][0]


def merge(stretches: Iterable[Stretch]) -> list[Stretch]:
    """The union of pause stretches, in order: overlapping waits hold the clock once, not twice."""
    out: list[Stretch] = []
    for ps, pe in sorted(stretches, key=lambda s: s[0]):
        if out and (out[-1][1] is None or ps <= out[-1][1]):
            last_start, last_end = out[-1]
            end = None if last_end is None or pe is None else max(last_end, pe)
            out[-1] = (last_start, end)
        else:
            out.append((ps, pe))
    return out


def with_waits(stretches: list[Stretch], waits: Iterable[Stretch], start: float, until: float) -> list[Stretch]:
    """State pauses and waits (e.g. on the client's blockers) as one ordered union, within [start, until]."""
    clipped = [(max(ps, start), pe) for ps, pe in waits if ps <= until and (pe is None or pe > start)]
    return merge([*stretches, *clipped]) if clipped else stretches


def spans(labelled: Iterable[tuple[float, float | None, T]], *, calendar: Calendarlike, start: float,
          until: float) -> list[tuple[float, float | None, float, T]]:
    """Each labelled pause clipped to [start, until] with its own business seconds (end None: still open at
    `until`), in order. Overlapping pauses each show their own time; the clock counts their union once."""
    business = calendar.business_at_s
    out = []
    for ps, pe, label in sorted(labelled, key=lambda s: s[0]):
        a = max(ps, start)
        if a > until or (pe is not None and pe <= start):
            continue
        b = until if pe is None or pe > until else pe
        out.append((a, None if pe is None or pe > until else pe, max(0.0, business(b) - business(a)), label))
    return out


def clocks_of(history: History, goals: Sequence[Goal], *, calendar: Calendarlike,
              pause_states: Collection[str] = (), now: float, waits: Sequence[Stretch] = (),
              wait_goals: Collection[int] | None = None) -> list[tuple[Clock, str | None]]:
    """The clocks of several targets of one object, and the state that stopped each (None: running).

    `waits`: further stretches that hold the clock besides the pause states (the policy's pausing
    readiness blockers: the client's, a third party's), for the goals at the indexes `wait_goals`
    (None: every goal); overlaps with each other and with the pause states count once.
    `history` must be in time order. The targets share one pass over the history and the
    calendar lookups: business time is read as the calendar's running total (`business_at_s`)
    and instants found by its inverse, which is what makes a million objects' clocks a few
    seconds of work (bench/sla.py). Same answers as `clock` for each target.
    """
    if not history:
        raise ValueError("a clock needs at least the object's creation in its history")
    start = history[0][0]
    at_now = max(now, start)
    business = calendar.business_at_s
    b_start = business(start)
    # The pause stretches up to now: (start, end or None while still paused), in order.
    by_state = pauses_of(history, pause_states, at_now)
    waited = with_waits(by_state, waits, start, at_now) if waits else by_state
    out: list[tuple[Clock, str | None]] = []
    for index, (target_s, stop_states) in enumerate(goals):
        stretches = waited if wait_goals is None or index in wait_goals else by_state
        if target_s <= 0:
            raise ValueError(f"a target is a positive number of business seconds, not {target_s}")
        stopped = next(((at, state) for at, state in history if state in stop_states and at <= now), None)
        until = stopped[0] if stopped is not None else at_now
        b_until = business(until)
        gross = b_until - b_start
        paused = 0.0
        paused_now = False
        for ps, pe in stretches:
            if ps > until:
                break
            if pe is None or pe > until:
                pe, paused_now = until, True
            if pe > ps:
                paused += business(pe) - business(ps)
        elapsed = gross - paused if paused else gross
        if elapsed < 0.0:
            elapsed = 0.0
        if stopped is not None:
            if elapsed <= target_s:
                out.append((Clock(target_s, start, elapsed, Status.MET, stopped_at=until, paused_s=paused), stopped[1]))
            else:
                out.append((Clock(target_s, start, elapsed, Status.BREACHED, stopped_at=until, paused_s=paused,
                                  breached_at=_due(calendar, start, target_s, stretches, until)), stopped[1]))
        elif elapsed >= target_s:  # breached at 100 %, paused or not
            out.append((Clock(target_s, start, elapsed, Status.BREACHED, paused_s=paused,
                              breached_at=_due(calendar, start, target_s, stretches, until)), None))
        elif paused_now:
            out.append((Clock(target_s, start, elapsed, Status.PAUSED, paused_s=paused), None))
        else:
            # Running: every pause is over and before now, so the target moves on by all of them.
            base = b_start + paused
            due = _instant(calendar, base + target_s)
            if elapsed >= AT_RISK * target_s:
                out.append((Clock(target_s, start, elapsed, Status.AT_RISK, due_at=due, paused_s=paused), None))
            else:
                out.append((Clock(target_s, start, elapsed, Status.RUNNING, due_at=due, paused_s=paused,
                                  at_risk_at=_instant(calendar, base + AT_RISK * target_s)), None))
    return out


def _instant(calendar: Calendarlike, total: float) -> float | None:
    try:
        return calendar.instant_at_s(total)
    except ValueError:  # no business time left (a calendar closed every day)
        return None


def _due(calendar: Calendarlike, start: float, target_s: float, stretches: list[tuple[float, float | None]],
         until: float) -> float | None:
    """When the target was reached, the pauses before `until` holding the clock (breached clocks)."""
    pauses = [(ps, pe if pe is not None and pe <= until else None) for ps, pe in stretches if ps <= until]
    try:
        return calendar.due_s(start, target_s, pauses)
    except ValueError:
        return None
