"""Pure free time: a window cut by permitted hours and freezes into free intervals, and whether work
fits in one (table-driven), in the site's zone across daylight-saving changes; and the readiness
gate's verdict and words when a freeze overlaps only part of the window."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from opsdesk.changes.windows.rules import WindowRule, WindowViolation, overlapping
from opsdesk.workorders.eligibility import stretches
from opsdesk.workorders.free_time import Closure, clock_words, fitting, free_intervals
from opsdesk.workorders.readiness.rules import (
    PeopleFacts,
    ReadinessInputs,
    RequirementFacts,
    SiteFacts,
    evaluate,
)

UTC = dt.UTC
LONDON = "Europe/London"
MIN = dt.timedelta(minutes=1)


def lon(day: int, hhmm: str, month: int = 3) -> dt.datetime:
    """A London wall-clock time in 2026 as a UTC instant."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2026, month, day, h, m, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


def spans(*pairs: tuple[str, str], day: int = 3) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(lon(day, a), lon(day, b)) for a, b in pairs]


# window (London, Tue 3 Mar 2026), permitted (one list per rule), freezes -> free intervals
CASES = [
    ("no rules: the whole window", ("17:00", "21:00"), [], [], [("17:00", "21:00")]),
    ("freeze covers the start", ("17:00", "21:00"), [], [("07:00", "19:00")], [("19:00", "21:00")]),
    ("freeze covers the end", ("06:00", "09:00"), [], [("07:00", "19:00")], [("06:00", "07:00")]),
    ("freeze inside the window", ("06:00", "21:00"), [], [("07:00", "19:00")], [("06:00", "07:00"), ("19:00", "21:00")]),
    ("freeze covers everything", ("10:00", "11:00"), [], [("07:00", "19:00")], []),
    ("freeze outside the window", ("20:00", "21:00"), [], [("07:00", "19:00")], [("20:00", "21:00")]),
    ("two freezes cut three pieces", ("08:00", "18:00"), [], [("09:00", "10:00"), ("12:00", "15:00")],
     [("08:00", "09:00"), ("10:00", "12:00"), ("15:00", "18:00")]),
    ("overlapping freezes merge", ("08:00", "18:00"), [], [("09:00", "12:00"), ("11:00", "13:00")],
     [("08:00", "09:00"), ("13:00", "18:00")]),
    ("permitted hours then a freeze", ("17:00", "21:00"), [[("18:00", "24:00")]], [("07:00", "19:00")],
     [("19:00", "21:00")]),
    ("permitted hours in two stretches", ("05:00", "21:00"), [[("00:00", "07:00"), ("19:00", "24:00")]], [],
     [("05:00", "07:00"), ("19:00", "21:00")]),
    ("two permitted-hours rules intersect", ("08:00", "18:00"), [[("08:00", "14:00")], [("10:00", "18:00")]], [],
     [("10:00", "14:00")]),
    ("permitted hours and a freeze leave nothing", ("17:00", "21:00"), [[("07:00", "19:00")]], [("07:00", "19:00")], []),
]


@pytest.mark.parametrize(("name", "window", "permitted", "closed", "expected"), CASES, ids=[c[0] for c in CASES])
def test_free_intervals(name, window, permitted, closed, expected):
    allowed = [
        [(lon(3, a), lon(3, b) if b != "24:00" else lon(4, "00:00")) for a, b in rule] for rule in permitted
    ]
    found = free_intervals(lon(3, window[0]), lon(3, window[1]), permitted=allowed, closed=spans(*closed))
    assert found == spans(*expected)


@pytest.mark.parametrize(("free", "minutes", "expected"), [
    ([("19:00", "21:00")], 60, [("19:00", "21:00")]),
    ([("19:00", "19:30")], 60, []),
    ([("06:00", "07:00"), ("19:00", "21:00")], 60, [("06:00", "07:00"), ("19:00", "21:00")]),
    ([("06:00", "06:30"), ("19:00", "21:00")], 60, [("19:00", "21:00")]),
    ([("06:00", "07:00")], 60, [("06:00", "07:00")]),  # exactly long enough
    ([], 60, []),
])
def test_fitting(free, minutes, expected):
    assert fitting(spans(*free), dt.timedelta(minutes=minutes)) == spans(*expected)


# 29 Mar 2026: London's clocks go forward at 01:00 GMT (to 02:00 BST).
FREEZE_NIGHT = WindowRule(9, "freeze", "Night freeze", 1, None, None, dt.date(2026, 3, 1), dt.time(0, 0), 180,
                          "FREQ=DAILY")


def test_a_freeze_across_the_spring_change_is_three_real_hours():
    # Window Sun 29 Mar 00:00-06:00 local is five real hours; the freeze 00:00 for 180 minutes
    # ends at 04:00 BST (03:00 UTC), so two real hours remain, 04:00-06:00 local.
    start, end = lon(29, "00:00"), lon(29, "06:00")
    assert end - start == dt.timedelta(hours=5)
    closed = overlapping(FREEZE_NIGHT, LONDON, start, end)
    free = free_intervals(start, end, closed=closed)
    assert free == [(dt.datetime(2026, 3, 29, 3, tzinfo=UTC), dt.datetime(2026, 3, 29, 5, tzinfo=UTC))]
    assert clock_words(free[0], LONDON, start) == "04:00–06:00"
    assert fitting(free, dt.timedelta(minutes=120)) == free
    assert fitting(free, dt.timedelta(minutes=121)) == []  # wall-clock 04:00-06:00 is two hours, not more


def test_permitted_hours_across_the_autumn_change_are_real_time():
    # 25 Oct 2026: clocks go back at 02:00 BST. Permitted 00:00-03:00 local is four real hours that night.
    hours = {"sun": [["00:00", "03:00"]]}
    start, end = lon(25, "00:00", 10), lon(25, "06:00", 10)
    free = free_intervals(start, end, permitted=[stretches(hours, LONDON, start, end)])
    assert free == [(dt.datetime(2026, 10, 24, 23, tzinfo=UTC), dt.datetime(2026, 10, 25, 3, tzinfo=UTC))]
    assert fitting(free, dt.timedelta(hours=4)) == free


# --- the gate ------------------------------------------------------------------------------------

SITE = SiteFacts(1, "man-hosp", LONDON)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
CLINIC = "No change during clinic hours"
AFTER_CLINIC = RequirementFacts(12, "permitted_hours", "Noisy work only outside clinic hours", 0,
                                permitted_hours={"tue": [["00:00", "07:00"], ["18:00", "24:00"]]},
                                kind_label="Permitted working hours")


def gate(window: tuple[str, str], minutes: int, freezes: list[tuple[str, str]], **kw) -> ReadinessInputs:
    start, end = lon(3, window[0]), lon(3, window[1])
    closures = tuple(Closure(a, b, 4, CLINIC) for a, b in spans(*freezes))
    violations = tuple(
        WindowViolation(1, "man-hosp", 4, CLINIC, "freeze",
                        f"man-hosp: the change (Tue 3 Mar {window[0]}–{window[1]} Europe/London) falls in the freeze "
                        f"'{CLINIC}' (Tue 3 Mar 07:00–19:00 Europe/London)")
        for _ in closures[:1]
    )
    return ReadinessInputs(category="install", site=SITE, window_start=start, window_end=end, freezes=violations,
                           freeze_spans=closures, duration=dt.timedelta(minutes=minutes),
                           people=PeopleFacts(True, 1, 1), **kw)


def test_work_that_fits_after_the_freeze_is_not_blocked_and_the_note_says_where():
    result = evaluate(gate(("17:00", "21:00"), 60, [("07:00", "19:00")]), NOW)
    assert result.ready and result.blockers == ()
    assert result.notes == (
        f"Fits 19:00–21:00 after the freeze '{CLINIC}' (Tue 3 Mar 07:00–19:00 Europe/London) — plan it there.",
    )


def test_work_that_fits_before_the_freeze():
    result = evaluate(gate(("05:00", "09:00"), 60, [("07:00", "19:00")]), NOW)
    assert result.ready
    assert result.notes[0].startswith("Fits 05:00–07:00 before the freeze")


def test_fits_within_permitted_hours_and_outside_the_freeze():
    result = evaluate(gate(("17:00", "21:00"), 60, [("07:00", "19:00")], requirements=(AFTER_CLINIC,)), NOW)
    assert [b.kind for b in result.blockers] == ["permitted_hours"]  # the window itself still leaves them
    assert result.notes[0].startswith("Fits 19:00–21:00 after the freeze")
    assert result.notes[0].endswith("and inside the site's permitted hours — plan it there.")


def test_a_free_part_shorter_than_the_work_blocks_with_the_true_reason():
    (blocker,) = evaluate(gate(("17:00", "19:30"), 60, [("07:00", "19:00")]), NOW).blockers
    assert (blocker.key, blocker.kind, blocker.owner) == ("freeze:4", "freeze", "dispatch")
    assert blocker.detail == (
        f"man-hosp: the work (Tue 3 Mar 17:00–19:30 Europe/London) falls in the freeze '{CLINIC}' "
        "(Tue 3 Mar 07:00–19:00 Europe/London); the free part 19:00–19:30 is shorter than the 60 minutes the work needs."
    )


def test_several_free_parts_each_too_short():
    (blocker,) = evaluate(gate(("06:30", "19:30"), 60, [("07:00", "19:00")]), NOW).blockers
    assert blocker.detail.endswith("; the free parts 06:30–07:00 and 19:00–19:30 are shorter than the 60 minutes the work needs.")


def test_a_window_wholly_in_the_freeze():
    (blocker,) = evaluate(gate(("10:00", "11:00"), 60, [("07:00", "19:00")]), NOW).blockers
    assert blocker.detail.endswith("; no part of the window is outside the freeze.")


def test_outside_the_freeze_but_outside_the_permitted_hours():
    closed_at_night = RequirementFacts(13, "permitted_hours", "Days only", 0,
                                       permitted_hours={"tue": [["07:00", "19:00"]]})
    result = evaluate(gate(("17:00", "21:00"), 60, [("07:00", "19:00")], requirements=(closed_at_night,)), NOW)
    freeze = next(b for b in result.blockers if b.kind == "freeze")
    assert freeze.detail.endswith("; the time outside the freeze is outside the site's permitted hours.")
    assert not result.ready and result.notes == ()


def test_without_the_duration_any_overlap_blocks_as_before():
    inputs = gate(("17:00", "21:00"), 60, [("07:00", "19:00")])
    result = evaluate(replace(inputs, duration=None), NOW)
    assert [b.kind for b in result.blockers] == ["freeze"] and result.notes == ()
