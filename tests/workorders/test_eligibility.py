"""Pure eligibility: every kind of ineligibility in words, shifts across midnight and DST."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from opsdesk.workorders.eligibility import (
    AbsenceFact,
    AccessFact,
    EngineerFacts,
    WorkFacts,
    access_kinds_for,
    coverage,
    judge,
)

UTC = dt.UTC
LONDON = "Europe/London"
DAYS = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
NIGHTS = {
    "mon": [["22:00", "24:00"]],
    "tue": [["00:00", "06:00"], ["22:00", "24:00"]],
    "wed": [["00:00", "06:00"], ["22:00", "24:00"]],
    "thu": [["00:00", "06:00"], ["22:00", "24:00"]],
    "fri": [["00:00", "06:00"]],
    "sat": [],
    "sun": [],
}


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


ENGINEER = EngineerFacts(
    id=1, name="Ada Lovelace", time_zone=LONDON, working_hours=DAYS,
    skills={"fibre-splicing": 4},
    certifications={"server-plus": dt.date(2026, 11, 20)},
    site_access=(AccessFact(10, "access", None), AccessFact(10, "induction", dt.date(2026, 12, 31))),
)
# Tue 3 Mar 2026 10:00-12:00 London (GMT = UTC).
WORK = WorkFacts(
    site_id=10, site_code="lon-dc1", time_zone=LONDON,
    window_start=utc(2026, 3, 3, 10), window_end=utc(2026, 3, 3, 12),
    skills=(("fibre-splicing", "Fibre splicing"),),
    certifications=(("server-plus", "CompTIA Server+"),),
    access_kinds=("access", "induction"),
)


def test_eligible_when_everything_holds():
    verdict = judge(ENGINEER, WORK)
    assert verdict.eligible and verdict.reasons == ()
    assert (verdict.engineer_id, verdict.engineer_name) == (1, "Ada Lovelace")


NOV_24 = (utc(2026, 11, 24, 10), utc(2026, 11, 24, 12))


@pytest.mark.parametrize(
    ("engineer", "work", "reason"),
    [
        (replace(ENGINEER, skills={}), WORK, "missing skill Fibre splicing"),
        (replace(ENGINEER, certifications={}), WORK, "missing certification CompTIA Server+"),
        (
            ENGINEER, replace(WORK, window_start=NOV_24[0], window_end=NOV_24[1], access_kinds=("access",)),
            "certification CompTIA Server+ expires on 2026-11-20, before the work on 2026-11-24",
        ),
        (replace(ENGINEER, site_access=(AccessFact(10, "access"),)), WORK, "no induction at lon-dc1"),
        (replace(ENGINEER, site_access=(AccessFact(99, "access"), AccessFact(10, "induction"))), WORK,
         "no site access at lon-dc1"),
        (
            replace(ENGINEER, site_access=(AccessFact(10, "access", dt.date(2026, 3, 1)), AccessFact(10, "induction"))),
            WORK, "site access at lon-dc1 expires on 2026-03-01, before the work on 2026-03-03",
        ),
        (ENGINEER, replace(WORK, access_kinds=("access", "clearance")), "no security clearance at lon-dc1"),
        (replace(ENGINEER, active=False), WORK, "inactive"),
        (
            replace(ENGINEER, absences=(AbsenceFact(utc(2026, 3, 2), utc(2026, 3, 6), "Annual leave"),)), WORK,
            "absent (Annual leave) on 2026-03-03",
        ),
        (ENGINEER, replace(WORK, window_start=utc(2026, 3, 3, 16), window_end=utc(2026, 3, 3, 18)),
         "shift ends before the window (ends 17:00 Europe/London)"),
        (ENGINEER, replace(WORK, window_start=utc(2026, 3, 3, 7), window_end=utc(2026, 3, 3, 9)),
         "shift starts after the window starts (starts 08:00 Europe/London)"),
        (ENGINEER, replace(WORK, window_start=utc(2026, 3, 8, 10), window_end=utc(2026, 3, 8, 12)),
         "not on shift during the window (Sun 10:00–12:00 Europe/London)"),
    ],
)
def test_each_kind_of_ineligibility_in_words(engineer, work, reason):
    verdict = judge(engineer, work)
    assert not verdict.eligible
    assert verdict.reasons == (reason,)


def test_every_reason_is_given():
    engineer = replace(ENGINEER, skills={}, certifications={}, site_access=(), active=False)
    reasons = judge(engineer, replace(WORK, window_start=utc(2026, 3, 3, 16), window_end=utc(2026, 3, 3, 18))).reasons
    assert reasons == (
        "inactive",
        "missing skill Fibre splicing",
        "missing certification CompTIA Server+",
        "no site access at lon-dc1",
        "no induction at lon-dc1",
        "shift ends before the window (ends 17:00 Europe/London)",
    )


def test_expiry_is_inclusive_and_uses_the_last_local_day_of_the_window():
    on_the_day = replace(WORK, window_start=utc(2026, 11, 20, 10), window_end=utc(2026, 11, 20, 12), access_kinds=("access",))
    assert judge(ENGINEER, on_the_day).eligible
    night = replace(ENGINEER, working_hours=NIGHTS)
    # Fri 20 Nov 22:00 -> Sat 21 Nov 02:00: the certification must hold on Saturday too.
    crossing = replace(on_the_day, window_start=utc(2026, 11, 19, 23), window_end=utc(2026, 11, 20, 2))
    assert judge(night, crossing).eligible  # Thu night into Fri, still valid on Fri 20th
    late = replace(on_the_day, window_start=utc(2026, 11, 20, 23), window_end=utc(2026, 11, 21, 1))
    assert "certification CompTIA Server+ expires on 2026-11-20, before the work on 2026-11-21" in judge(night, late).reasons


@pytest.mark.parametrize(
    ("start", "end", "covered"),
    [
        (utc(2026, 3, 3, 23), utc(2026, 3, 4, 3), True),  # Tue 23:00 -> Wed 03:00 across midnight
        (utc(2026, 3, 2, 22), utc(2026, 3, 3, 6), True),  # the whole Mon night
        (utc(2026, 3, 6, 3), utc(2026, 3, 6, 5), True),  # Fri early morning, end of Thu night
        (utc(2026, 3, 6, 23), utc(2026, 3, 7, 2), False),  # Fri night: no shift
        (utc(2026, 3, 3, 5), utc(2026, 3, 3, 7), False),  # runs past 06:00
        (utc(2026, 3, 3, 12), utc(2026, 3, 3, 14), False),  # daytime
    ],
)
def test_night_shift_covers_windows_across_midnight(start, end, covered):
    engineer = replace(ENGINEER, working_hours=NIGHTS)
    verdict = judge(engineer, replace(WORK, window_start=start, window_end=end, access_kinds=("access",)))
    assert verdict.eligible is covered, verdict.reasons


def test_night_shift_reason_names_the_end_of_the_night():
    engineer = replace(ENGINEER, working_hours=NIGHTS)
    verdict = judge(engineer, replace(WORK, window_start=utc(2026, 3, 3, 5), window_end=utc(2026, 3, 3, 7)))
    assert verdict.reasons == ("shift ends before the window (ends 06:00 Europe/London)",)


def test_shift_is_judged_in_the_engineers_own_zone():
    remote = replace(ENGINEER, time_zone="America/New_York")
    # 10:00-12:00 London is 05:00-07:00 in New York: before the 08:00 shift.
    verdict = judge(remote, WORK)
    assert verdict.reasons == ("not on shift during the window (Tue 05:00–07:00 America/New_York)",)
    # 14:00-16:00 London is 09:00-11:00 New York.
    assert judge(remote, replace(WORK, window_start=utc(2026, 3, 3, 14), window_end=utc(2026, 3, 3, 16))).eligible


def test_shift_coverage_follows_daylight_saving():
    # Mon 30 Mar 2026 is BST (UTC+1): 07:30-08:30 UTC is 08:30-09:30 local, inside 08:00-17:00.
    work = replace(WORK, window_start=utc(2026, 3, 30, 7, 30), window_end=utc(2026, 3, 30, 8, 30))
    assert judge(ENGINEER, work).eligible
    # 15:30-16:30 UTC is 16:30-17:30 local: past the end of the shift.
    late = replace(WORK, window_start=utc(2026, 3, 30, 15, 30), window_end=utc(2026, 3, 30, 16, 30))
    assert judge(ENGINEER, late).reasons == ("shift ends before the window (ends 17:00 Europe/London)",)


def test_night_across_the_spring_forward_gap():
    nights = {**NIGHTS, "sat": [["22:00", "24:00"]], "sun": [["00:00", "06:00"]]}
    # Sat 28 Mar 22:00 GMT -> Sun 29 Mar 06:00 BST is 22:00 -> 05:00 UTC (seven real hours).
    assert coverage(nights, LONDON, utc(2026, 3, 28, 22), utc(2026, 3, 29, 5))[0] == "covered"
    assert coverage(nights, LONDON, utc(2026, 3, 29, 4), utc(2026, 3, 29, 5, 30))[0] == "ends_early"


def test_work_without_a_window_is_judged_on_the_day_only():
    undated = replace(WORK, window_start=None, window_end=None)
    assert judge(ENGINEER, undated).eligible  # no dates: only what is held counts
    sunday = replace(undated, day=dt.date(2026, 3, 8))
    assert judge(ENGINEER, sunday).eligible  # no shift check without a window
    after_expiry = replace(undated, day=dt.date(2026, 11, 21), access_kinds=("access",))
    assert judge(ENGINEER, after_expiry).reasons == (
        "certification CompTIA Server+ expires on 2026-11-20, before the work on 2026-11-21",
    )
    away = replace(ENGINEER, absences=(AbsenceFact(utc(2026, 3, 8, 12), utc(2026, 3, 9), "Training"),))
    assert judge(away, sunday).reasons == ("absent (Training) on 2026-03-08",)
    assert judge(replace(ENGINEER, skills={}), undated).reasons == ("missing skill Fibre splicing",)


def test_absence_outside_the_window_does_not_count():
    engineer = replace(ENGINEER, absences=(AbsenceFact(utc(2026, 3, 3, 12), utc(2026, 3, 3, 18), "Dentist"),))
    assert judge(engineer, WORK).eligible  # ends exactly at 12:00 when the absence starts


def test_access_kinds_for_requirements():
    assert access_kinds_for([]) == ("access",)
    assert access_kinds_for(["access_request", "security_clearance", "induction"]) == ("access", "clearance", "induction")


# --- property: shift coverage from a pattern's cached block of stretches is coverage itself -------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from opsdesk.workorders import eligibility  # noqa: E402

PATTERNS = [DAYS, NIGHTS, {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            {"sat": [["06:00", "18:00"]], "sun": [["06:00", "18:00"]]}, {"wed": [["23:30", "24:00"]], "thu": [["00:00", "00:30"]]}]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hours=st.sampled_from(PATTERNS),
    tz=st.sampled_from([LONDON, "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]),
    start=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 12, 31)),
    minutes=st.integers(1, 40 * 24 * 60),
)
def test_block_coverage_is_the_windows_own_coverage(hours, tz, start, minutes):
    begin = start.replace(tzinfo=UTC)
    end = begin + dt.timedelta(minutes=minutes)
    engineer = EngineerFacts(id=1, name="E", time_zone=tz, working_hours=hours)
    fast = eligibility._coverage_fast(engineer.hours_id, tz, begin, end)
    assert fast == coverage(hours, tz, begin, end)
    # The stretches on shift inside the window, from the block, are those of the window's own hours.
    own = [(max(a, begin), min(b, end)) for a, b in eligibility.stretches(hours, tz, begin, end) if a < end and b > begin]
    assert eligibility._on_shift(engineer.hours_id, tz, begin, end) == own


H = dt.timedelta(hours=1)


@pytest.mark.parametrize("start, end, minutes, absent, reason", [
    # A 1 h visit in a 14:00-18:00 window fits a shift ending 17:00.
    (14, 18, 60, None, None),
    # Two hours do not fit in the hour left before 17:00.
    (16, 18, 120, None, "shift ends before the window (ends 17:00 Europe/London)"),
    # Nor does an hour that starts before the shift and ends in it with only 30 min on shift.
    (7, 8.5, 60, None, "shift starts after the window starts (starts 08:00 Europe/London)"),
    # Away 14:00-16:30: half an hour left on shift in the window, not enough for an hour.
    (14, 18, 60, (14, 16.5), "absent (dentist) on 2026-03-03"),
    # Away 14:00-15:00: 15:00-17:00 is left, enough.
    (14, 18, 60, (14, 15), None),
    # Work that fills its window is judged on the whole window, as without a duration.
    (15, 17, 120, None, None),
    (15, 17, 120, (16, 16.25), "absent (dentist) on 2026-03-03"),
])
def test_the_work_must_fit_on_shift_within_its_window(start, end, minutes, absent, reason):
    def at(hours: float) -> dt.datetime:
        return utc(2026, 3, 3) + dt.timedelta(hours=hours)

    absences = (AbsenceFact(at(absent[0]), at(absent[1]), "dentist"),) if absent else ()
    engineer = replace(ENGINEER, absences=absences)
    work = replace(WORK, window_start=at(start), window_end=at(end), duration=dt.timedelta(minutes=minutes))
    verdict = judge(engineer, work)
    timed = [r for r in verdict.reasons if r.startswith(("shift", "absent", "not on shift"))]
    assert timed == ([reason] if reason else [])
