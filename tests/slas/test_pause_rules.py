"""Pause arithmetic of SLA clocks with waits (readiness blockers of the client or a third party):
hand-computed cases on the London office calendar (Mon-Fri 08:00-18:00 local, GMT in November)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.slas.pauses import duration_words
from opsdesk.slas.rules import Status, clocks_of, merge, spans
from tests.sites.calendars import cal

H = 3600.0
STOP = frozenset({"completed"})


def t(text: str) -> float:
    return dt.datetime.fromisoformat(f"2026-11-{text}:00+00:00").timestamp()


# (name, history, pause states, waits, now, status, elapsed hours, paused hours)
CASES = [
    (
        "no wait: the whole day runs",
        [("23T09:00", "submitted")],
        (),
        [],
        "23T17:00",
        Status.AT_RISK,
        8,
        0,
    ),
    (
        "a closed wait holds the clock for its business time",
        [("23T09:00", "submitted")],
        (),
        [("23T10:00", "23T12:00")],
        "23T17:00",
        Status.RUNNING,
        6,
        2,
    ),
    (
        "an open wait pauses it now",
        [("23T09:00", "submitted")],
        (),
        [("23T11:00", None)],
        "24T12:00",
        Status.PAUSED,
        2,
        11,
    ),
    (
        "a wait over the night counts only business hours",
        [("23T09:00", "submitted")],
        (),
        [("23T16:00", "24T10:00")],
        "24T12:00",
        Status.AT_RISK,
        9,
        4,
    ),
    (
        "the same blocker opening and closing twice pauses twice",
        [("23T09:00", "submitted")],
        (),
        [("23T10:00", "23T11:00"), ("23T13:00", "23T15:00")],
        "23T17:00",
        Status.RUNNING,
        5,
        3,
    ),
    (
        "a wait overlapping on hold counts once",
        [("23T09:00", "submitted"), ("23T10:00", "on_hold"), ("23T12:00", "triage")],
        ("on_hold",),
        [("23T11:00", "23T13:00")],
        "23T17:00",
        Status.RUNNING,
        5,
        3,
    ),
    (
        "overlapping waits of two blockers count once",
        [("23T09:00", "submitted")],
        (),
        [("23T10:00", "23T12:00"), ("23T11:00", "23T14:00")],
        "23T17:00",
        Status.RUNNING,
        4,
        4,
    ),
    (
        "a wait before the request is clipped to its creation",
        [("23T09:00", "submitted")],
        (),
        [("20T09:00", "23T10:00")],
        "23T17:00",
        Status.RUNNING,
        7,
        1,
    ),
    (
        "a wait after the stop does not count",
        [("23T09:00", "submitted"), ("23T12:00", "completed")],
        (),
        [("23T13:00", None)],
        "23T17:00",
        Status.MET,
        3,
        0,
    ),
]


@pytest.mark.parametrize(
    ("name", "history", "states", "waits", "now", "status", "elapsed", "paused"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_wait_cases(name, history, states, waits, now, status, elapsed, paused) -> None:
    h = [(t(at), state) for at, state in history]
    w = [(t(a), t(b) if b else None) for a, b in waits]
    ((c, _by),) = clocks_of(
        h,
        [(10 * H, STOP)],
        calendar=cal("london"),
        pause_states=frozenset(states),
        now=t(now),
        waits=w,
    )
    assert (c.status, c.elapsed_s / H, c.paused_s / H) == (status, elapsed, paused)


def test_waits_hold_only_the_goals_named() -> None:
    h = [(t("23T09:00"), "submitted")]
    clocks = clocks_of(
        h,
        [(4 * H, frozenset({"triage"})), (10 * H, STOP)],
        calendar=cal("london"),
        now=t("23T17:00"),
        waits=[(t("23T10:00"), t("23T12:00"))],
        wait_goals={1},
    )
    response, resolution = (c for c, _by in clocks)
    assert (response.elapsed_s / H, response.paused_s) == (8, 0)
    assert (resolution.elapsed_s / H, resolution.paused_s / H) == (6, 2)


def test_a_wait_moves_the_due_instant_on() -> None:
    h = [(t("23T09:00"), "submitted")]
    ((c, _),) = clocks_of(
        h,
        [(4 * H, STOP)],
        calendar=cal("london"),
        now=t("23T10:00"),
        waits=[(t("23T09:30"), t("23T09:45"))],
    )
    assert c.due_at == t("23T13:15")


@pytest.mark.parametrize(
    ("stretches", "union"),
    [
        ([], []),
        ([(1.0, 3.0), (2.0, 4.0)], [(1.0, 4.0)]),
        ([(5.0, None), (1.0, 2.0), (6.0, 7.0)], [(1.0, 2.0), (5.0, None)]),
        ([(1.0, 2.0), (2.0, 3.0), (4.0, 5.0)], [(1.0, 3.0), (4.0, 5.0)]),
    ],
)
def test_merge(stretches, union) -> None:
    assert merge(stretches) == union


def test_spans_give_each_stretch_its_own_business_time() -> None:
    labelled = [(t("23T16:00"), t("24T10:00"), "access"), (t("24T11:00"), None, "escort")]
    out = spans(labelled, calendar=cal("london"), start=t("23T09:00"), until=t("24T12:00"))
    assert [(label, secs / H, end is None) for _a, end, secs, label in out] == [
        ("access", 4, False),
        ("escort", 1, True),
    ]


@pytest.mark.parametrize(
    ("minutes", "words"), [(0, "0m"), (45, "45m"), (200, "3h 20m"), (3120, "2d 4h"), (1440, "1d")]
)
def test_duration_words(minutes, words) -> None:
    assert duration_words(minutes) == words
