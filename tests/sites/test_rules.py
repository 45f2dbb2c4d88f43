"""Pure site rules: time zones, business hours, holiday calendars, opening, applicability."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opsdesk.sites import rules

H24 = {d: [["00:00", "24:00"]] for d in rules.WEEKDAYS}


@pytest.mark.parametrize("name", ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"])
def test_known_time_zones(name):
    assert rules.validate_time_zone(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Base", "europe/london", "GMT+25", "../etc/passwd", None, 5])
def test_unknown_time_zones(name):
    with pytest.raises(ValueError):
        rules.validate_time_zone(name)


def test_business_hours_are_normalised():
    out = rules.validate_business_hours({"mon": [["13:00", "17:00"], ["08:00", "12:00"]]})
    assert out["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert set(out) == set(rules.WEEKDAYS) and out["sun"] == []
    assert rules.validate_business_hours(H24)["sun"] == [["00:00", "24:00"]]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ([], "object"),
        ({"xyz": []}, "unknown weekday"),
        ({"mon": [["09:00"]]}, "interval"),
        ({"mon": [["25:00", "26:00"]]}, "interval"),
        ({"mon": [["10:00", "10:00"]]}, "ends before"),
        ({"mon": [["08:00", "12:00"], ["11:59", "13:00"]]}, "overlap"),
        ({"mon": "08:00-18:00"}, "list"),
    ],
)
def test_bad_business_hours(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        rules.validate_business_hours(value)


def test_holiday_calendars():
    assert rules.validate_holiday_calendar("GB", "ENG") == ("GB", "ENG")
    assert rules.validate_holiday_calendar("", "") == ("", "")
    for country, sub in (("XX", ""), ("GB", "TX"), ("", "ENG")):
        with pytest.raises(ValueError):
            rules.validate_holiday_calendar(country, sub)


def test_holidays_differ_by_subdivision():
    scotland = {d for d, _ in rules.holidays_between("GB", "SCT", dt.date(2026, 1, 1), dt.date(2026, 12, 31))}
    england = {d for d, _ in rules.holidays_between("GB", "ENG", dt.date(2026, 1, 1), dt.date(2026, 12, 31))}
    assert dt.date(2026, 1, 2) in scotland - england  # 2 January is a bank holiday only in Scotland
    assert rules.holidays_between("", "", dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []


@pytest.mark.parametrize(
    ("tz", "utc", "expected_open"),
    [
        ("Europe/London", dt.datetime(2026, 3, 27, 8, 30), True),   # Fri 08:30 GMT
        ("Europe/London", dt.datetime(2026, 3, 30, 7, 30), True),   # Mon 08:30 BST (after the change)
        ("Europe/London", dt.datetime(2026, 3, 30, 6, 59), False),  # Mon 07:59 BST
        ("America/New_York", dt.datetime(2026, 11, 2, 13, 0), True),  # Mon 08:00 EST
        ("America/New_York", dt.datetime(2026, 11, 2, 12, 59), False),
        ("Asia/Kolkata", dt.datetime(2026, 6, 1, 2, 30), True),     # Mon 08:00 IST (+05:30)
        ("Asia/Kolkata", dt.datetime(2026, 6, 1, 2, 29), False),
        ("Europe/London", dt.datetime(2026, 12, 25, 10, 0), False),  # Christmas Day
        ("Europe/London", dt.datetime(2026, 3, 28, 10, 0), False),  # Saturday
    ],
)
def test_is_open_in_site_local_time(tz, utc, expected_open):
    hours = rules.default_business_hours()
    local = rules.local_now(tz, utc.replace(tzinfo=dt.UTC))
    assert local.tzinfo == ZoneInfo(tz)
    country = {"Europe/London": "GB", "America/New_York": "US", "Asia/Kolkata": "IN"}[tz]
    assert rules.is_open(hours, country, "", local) is expected_open


def test_requirement_applicability():
    assert rules.applies_to([], "install")
    assert rules.applies_to(["install", "cabling"], "cabling")
    assert not rules.applies_to(["install"], "audit")
