"""SLA clocks from state histories (slas.rules.clock): hand-computed cases on a London office
calendar (Mon-Fri 08:00-18:00, England's bank holidays) and 24x7, and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.sites import businesstime as bt
from opsdesk.slas.rules import Status, clock, clocks_of, pauses_of
from tests.sites.calendars import cal

H = 3600.0
STOP = {"on_site", "completed"}
PAUSE = {"waiting_client", "on_hold"}


def t(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def hist(*entries: tuple[str, str]) -> list[tuple[float, str]]:
    return [(t(at), state) for at, state in entries]


LONDON = "london"
CASES = [
    # (name, calendar, history, target hours, now, status, elapsed hours, due or None)
    ("running on a weekday", LONDON, [("2026-11-23T09:00:00+00:00", "submitted")], 4,
     "2026-11-23T10:00:00+00:00", Status.RUNNING, 1, "2026-11-23T13:00:00+00:00"),
    ("at risk at 75 %", LONDON, [("2026-11-23T09:00:00+00:00", "submitted")], 4,
     "2026-11-23T12:00:00+00:00", Status.AT_RISK, 3, "2026-11-23T13:00:00+00:00"),
    ("breached at 100 %", LONDON, [("2026-11-23T09:00:00+00:00", "submitted")], 4,
     "2026-11-23T13:00:00+00:00", Status.BREACHED, 4, None),
    ("due over the weekend: Friday 16:00 + 4 h is Monday 10:00", LONDON,
     [("2026-11-27T16:00:00+00:00", "submitted")], 4, "2026-11-27T17:00:00+00:00", Status.RUNNING, 1,
     "2026-11-30T10:00:00+00:00"),
    ("met when the stop state came in time", LONDON,
     [("2026-11-23T09:00:00+00:00", "submitted"), ("2026-11-23T11:30:00+00:00", "on_site")], 4,
     "2026-11-24T12:00:00+00:00", Status.MET, 2.5, None),
    ("breached when it came late, and a reopen does not restart it", LONDON,
     [("2026-11-23T09:00:00+00:00", "submitted"), ("2026-11-23T15:00:00+00:00", "on_site"),
      ("2026-11-24T09:00:00+00:00", "submitted")], 4, "2026-11-24T10:00:00+00:00", Status.BREACHED, 6, None),
    ("a pause across a night and a weekend stops the clock", LONDON,
     [("2026-11-27T15:00:00+00:00", "submitted"), ("2026-11-27T17:00:00+00:00", "waiting_client"),
      ("2026-11-30T09:00:00+00:00", "triage")], 4, "2026-11-30T10:00:00+00:00", Status.AT_RISK, 3,
     "2026-11-30T11:00:00+00:00"),
    ("paused now: no due instant", LONDON,
     [("2026-11-23T09:00:00+00:00", "submitted"), ("2026-11-23T10:00:00+00:00", "on_hold")], 4,
     "2026-11-25T10:00:00+00:00", Status.PAUSED, 1, None),
    ("Christmas and Boxing Day (observed on Monday 28th) are closed", LONDON,
     [("2026-12-24T17:00:00+00:00", "submitted")], 2, "2026-12-24T17:30:00+00:00", Status.RUNNING, 0.5,
     "2026-12-29T09:00:00+00:00"),
    ("a target crossing the new year (1 Jan closed)", LONDON,
     [("2026-12-31T17:00:00+00:00", "submitted")], 3, "2026-12-31T17:00:00+00:00", Status.RUNNING, 0,
     "2027-01-04T10:00:00+00:00"),
    ("24x7 runs through the weekend", "24x7", [("2026-11-27T16:00:00+00:00", "submitted")], 24,
     "2026-11-28T04:00:00+00:00", Status.RUNNING, 12, "2026-11-28T16:00:00+00:00"),
    ("24x7 across London's clock change counts real hours", "24x7",
     [("2026-10-24T12:00:00+01:00", "submitted")], 24, "2026-10-24T12:00:00+01:00", Status.RUNNING, 0,
     "2026-10-25T11:00:00+00:00"),
]


@pytest.mark.parametrize(("name", "calendar", "history", "hours", "now", "status", "elapsed", "due"), CASES,
                         ids=[c[0] for c in CASES])
def test_clock_cases(name, calendar, history, hours, now, status, elapsed, due) -> None:
    c = clock(hist(*history), calendar=cal(calendar), target_s=hours * H, stop_states=STOP, pause_states=PAUSE,
              now=t(now))
    assert (c.status, c.elapsed_s / H) == (status, elapsed)
    assert c.due_at == (t(due) if due else None)
    assert c.remaining_s == hours * H - c.elapsed_s


def test_a_back_dated_edit_gives_the_same_clock_as_a_history_written_in_order() -> None:
    in_order = hist(("2026-11-23T09:00:00+00:00", "submitted"), ("2026-11-23T10:00:00+00:00", "on_hold"),
                    ("2026-11-23T14:00:00+00:00", "triage"))
    edited = [in_order[0], in_order[2], in_order[1]]  # the hold recorded afterwards, back-dated
    kw = {"calendar": cal(LONDON), "target_s": 8 * H, "stop_states": STOP, "pause_states": PAUSE,
          "now": t("2026-11-23T15:00:00+00:00")}
    assert clock(edited, **kw) == clock(in_order, **kw)
    assert clock(in_order, **kw).elapsed_s == 2 * H and clock(in_order, **kw).paused_s == 4 * H


def test_pauses_of_a_history() -> None:
    history = hist(("2026-11-23T09:00:00+00:00", "submitted"), ("2026-11-23T10:00:00+00:00", "on_hold"),
                   ("2026-11-23T10:30:00+00:00", "waiting_client"), ("2026-11-23T11:00:00+00:00", "triage"),
                   ("2026-11-23T12:00:00+00:00", "on_hold"))
    assert pauses_of(history, PAUSE, until=t("2026-11-23T13:00:00+00:00")) == [
        (t("2026-11-23T10:00:00+00:00"), t("2026-11-23T11:00:00+00:00")), (t("2026-11-23T12:00:00+00:00"), None)]
    assert pauses_of(history, PAUSE, until=t("2026-11-23T11:30:00+00:00")) == [
        (t("2026-11-23T10:00:00+00:00"), t("2026-11-23T11:00:00+00:00"))]


def test_bad_clock_input_is_refused() -> None:
    with pytest.raises(ValueError, match="creation"):
        clock([], calendar=bt.TWENTY_FOUR_SEVEN, target_s=60, stop_states=STOP, now=0)
    with pytest.raises(ValueError, match="positive"):
        clock([(0.0, "submitted")], calendar=bt.TWENTY_FOUR_SEVEN, target_s=0, stop_states=STOP, now=10)


START = t("2026-11-02T00:00:00+00:00")
steps = st.lists(st.tuples(st.integers(60, 3 * 86400), st.sampled_from(["submitted", "triage", "on_hold",
                                                                          "waiting_client", "on_site"])),
                 min_size=0, max_size=8)


def _history(pairs: list[tuple[int, str]]) -> list[tuple[float, str]]:
    out, at = [(START, "submitted")], START
    for gap, state in pairs:
        at += gap
        out.append((at, state))
    return out


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(0, 14 * 86400), st.integers(1, 14 * 86400))
def test_clock_properties(pairs, later, more) -> None:
    """Elapsed never decreases as time passes; it is what the calendar counts less the pauses; a
    running clock is due exactly when its target's business seconds will have elapsed."""
    history, calendar = _history(pairs), cal(LONDON)
    kw = {"calendar": calendar, "target_s": 16 * H, "stop_states": STOP, "pause_states": PAUSE}
    now = START + later
    first, second = clock(history, now=now, **kw), clock(history, now=now + more, **kw)
    assert second.elapsed_s >= first.elapsed_s
    until = first.stopped_at if first.stopped_at is not None else now
    assert first.elapsed_s == calendar.elapsed_s(START, until, pauses_of(history, PAUSE, until))
    if first.due_at is not None:
        assert first.status in (Status.RUNNING, Status.AT_RISK)
        future = [e for e in history if e[0] <= now]  # the history as known at `now`, the state kept after
        assert calendar.elapsed_s(START, first.due_at, pauses_of(future, PAUSE, first.due_at)) == 16 * H


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(0, 14 * 86400))
def test_several_targets_in_one_pass_answer_as_each_alone(pairs, later) -> None:
    """clocks_of (the bulk path) gives each target's `clock`, and the instants it reports are where
    the calendar, less the pauses, reaches 75 % and 100 % of the target."""
    history, calendar, now = _history(pairs), cal(LONDON), START + later
    goals = [(1 * H, {"triage", "on_site"}), (16 * H, STOP), (40 * H, {"completed"})]
    together = clocks_of(history, goals, calendar=calendar, pause_states=PAUSE, now=now)
    for (target, stops), (c, stopped_by) in zip(goals, together, strict=True):
        assert c == clock(history, calendar=calendar, target_s=target, stop_states=stops, pause_states=PAUSE, now=now)
        assert (stopped_by is None) == (c.stopped_at is None)
        until = c.stopped_at if c.stopped_at is not None else now
        if c.breached_at is not None:
            assert calendar.elapsed_s(START, c.breached_at, pauses_of(history, PAUSE, until)) == target
        if c.at_risk_at is not None:
            assert c.status == Status.RUNNING and c.at_risk_at > now
            assert calendar.elapsed_s(START, c.at_risk_at, pauses_of(history, PAUSE, now)) == 0.75 * target
