"""The on-site rules, table-driven: the window's tolerance, the distance from the site, why a visit failed."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.workorders import rules
from opsdesk.workorders.rules import CheckInPolicy, WindowCheck

UTC = dt.UTC
M = dt.timedelta(minutes=1)
# Tue 4 Jun 2030 10:00-12:00 London (BST).
START = dt.datetime(2030, 6, 4, 9, tzinfo=UTC)
END = START + 120 * M
POLICY = CheckInPolicy(early_minutes=30, late_minutes=60, radius_m=500)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (START + 10 * M, WindowCheck()),  # inside the window
        (START - 30 * M, WindowCheck()),  # early, at the tolerance
        (START - 29 * M, WindowCheck()),  # early within the tolerance
        (END + 60 * M, WindowCheck()),  # late, at the tolerance
        (START - 31 * M, WindowCheck(minutes_early=1)),  # just too early
        (START - dt.timedelta(days=3), WindowCheck(minutes_early=3 * 24 * 60 - 30)),  # three days early
        (END + 61 * M, WindowCheck(minutes_late=1)),
        (END + 60 * M + dt.timedelta(seconds=1), WindowCheck(minutes_late=1)),  # part minutes count
    ],
)
def test_check_window(at, expected):
    found = rules.check_window(at, START, END, POLICY)
    assert found == expected
    assert found.outside == (expected != WindowCheck())


def test_no_window_is_never_outside_and_tolerance_is_per_policy():
    assert not rules.check_window(START - dt.timedelta(days=9), None, None, POLICY).outside
    strict = CheckInPolicy(early_minutes=0, late_minutes=0)
    assert rules.check_window(START - M, START, END, strict) == WindowCheck(minutes_early=1)
    assert rules.check_window(START - M, START, END, CheckInPolicy()) == WindowCheck()  # defaults: 30/60


def test_refusal_says_the_window_and_tolerance_in_the_sites_local_time():
    text = rules.window_refusal(START - dt.timedelta(days=3), START, END, POLICY, "Europe/London")
    assert "Tue 04 Jun 2030 10:00–12:00 BST (Europe/London)" in text
    assert "from Tue 04 Jun 2030 09:30 to Tue 04 Jun 2030 13:00 (30 min early, 60 min late)" in text
    assert "It is now Sat 01 Jun 2030 10:00 BST" in text


@pytest.mark.parametrize(
    ("device", "site", "distance", "flagged"),
    [
        ((51.5074, -0.1278), (51.5074, -0.1278), 0.0, False),  # on the spot
        ((51.5074, -0.1278), (51.5110, -0.1278), 400.3, False),  # ~400 m north: within 500 m
        ((51.5074, -0.1278), (51.5164, -0.1278), 1000.8, True),  # ~1 km: flagged
        ((51.5074, -0.1278), (48.8566, 2.3522), 343_556.0, True),  # London to Paris (the haversine figure)
        (None, (51.5, -0.1), None, False),  # the device gave no location
        ((51.5, -0.1), (None, None), None, False),  # the site has no coordinates
    ],
)
def test_check_distance(device, site, distance, flagged):
    found, flag = rules.check_distance(device, site, 500)
    assert flag is flagged
    if distance is None:
        assert found is None
    else:
        assert found == pytest.approx(distance, abs=max(1.0, distance * 0.001))


@pytest.mark.parametrize(
    ("lat", "lon", "acc", "problem"),
    [
        (None, None, None, None),
        (51.5, -0.1, 12.0, None),
        (51.5, None, None, "longitude"),
        (None, -0.1, None, "latitude"),
        (None, None, 5.0, "accuracy_m"),
        (91.0, 0.0, None, "latitude"),
        (0.0, -181.0, None, "longitude"),
        (0.0, 0.0, -1.0, "accuracy_m"),
    ],
)
def test_location_problem(lat, lon, acc, problem):
    found = rules.location_problem(lat, lon, acc)
    assert (found[0] if found else None) == problem


@pytest.mark.parametrize(
    ("reason", "note", "problem"),
    [
        ("no_access", "", None),
        ("parts_missing", "", None),
        ("wrong_information", "", None),
        ("client_not_ready", "", None),
        ("other", "Flooded loading bay", None),
        ("other", "  ", "failure_note"),
        ("", "", "failure_reason"),
        ("bored", "", "failure_reason"),
    ],
)
def test_failure_problem(reason, note, problem):
    found = rules.failure_problem(reason, note)
    assert (found[0] if found else None) == problem
