"""Table tests of on-call rules: the Grafana OnCall failures named in issue 19, validation, text forms."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from opsdesk.oncall import rules

UTC = dt.UTC


def _layer(anchor: dt.datetime, rotation: str = "daily", hours: float | None = None, members: tuple[int, ...] = (1, 2),
           level: int = 0, restrictions: tuple[rules.Restriction, ...] = (), layer_id: int = 1) -> rules.Layer:
    return rules.Layer(layer_id, level, rules.period_of(rotation, hours), anchor, members, restrictions)


def _u(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_3261_a_0900_handoff_stays_0900_local_after_dst() -> None:
    """grafana/oncall#3261: shifts moved by an hour after DST. London, 29 Mar 2026."""
    s = rules.CompiledSchedule(1, "Europe/London", (_layer(dt.datetime(2026, 3, 20, 9, 0)),))
    starts = [x.start for x in s.shifts(_u(2026, 3, 27), _u(2026, 4, 1))]
    assert starts[1:] == [_u(2026, 3, 27, 9), _u(2026, 3, 28, 9), _u(2026, 3, 29, 8), _u(2026, 3, 30, 8),
                          _u(2026, 3, 31, 8)]
    assert s.who(_u(2026, 3, 29, 8, 30)) != s.who(_u(2026, 3, 29, 7, 30))


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("Europe/London", dt.date(2026, 3, 28), 11),     # spring forward: the night is one hour shorter
    ("Europe/London", dt.date(2026, 10, 24), 13),    # fall back: one hour longer
    ("America/New_York", dt.date(2026, 3, 7), 11),
    ("America/New_York", dt.date(2026, 10, 31), 13),
    ("Australia/Sydney", dt.date(2026, 4, 4), 13),   # southern hemisphere: April ends DST
    ("Australia/Sydney", dt.date(2026, 10, 3), 11),
    ("Asia/Kolkata", dt.date(2026, 3, 28), 12),      # no DST
])
def test_5247_5455_night_shift_lasts_its_wall_clock_length_without_overlap_or_gap(zone: str, day: dt.date, hours: int) -> None:
    """grafana/oncall#5247, #5455: overlap or gap when DST starts or ends. 12 h shifts 08:00/20:00."""
    anchor = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(8, 0))
    s = rules.CompiledSchedule(1, zone, (_layer(anchor, "custom", 12, members=(1, 2, 3)),))
    tz = rules.zone(zone)
    start = dt.datetime.combine(day, dt.time(12, 0), tzinfo=tz).astimezone(UTC)
    shifts = s.shifts(start, start + dt.timedelta(days=2))
    night = next(x for x in shifts if x.start.astimezone(tz).time() == dt.time(20, 0))
    assert night.end - night.start == dt.timedelta(hours=hours)
    assert night.end.astimezone(tz).time() == dt.time(8, 0)
    for a, b in itertools.pairwise(shifts):
        assert a.end == b.start
    assert s.gaps(start, start + dt.timedelta(days=2)) == []


@pytest.mark.parametrize(("zone", "utc_hour", "utc_minute"), [
    ("Asia/Kolkata", 3, 30), ("Australia/Sydney", 22, 0), ("America/New_York", 14, 0), ("Europe/London", 9, 0),
])
def test_4197_daily_shifts_in_non_utc_zones_hand_off_at_local_time(zone: str, utc_hour: int, utc_minute: int) -> None:
    """grafana/oncall#4197: daily shifts in zones other than UTC (January: summer time in Sydney)."""
    s = rules.CompiledSchedule(1, zone, (_layer(dt.datetime(2026, 1, 1, 9, 0), members=(1, 2, 3)),))
    shifts = s.shifts(_u(2026, 1, 10), _u(2026, 1, 14))
    inner = shifts[1:-1]
    assert inner and all((x.start.hour, x.start.minute) == (utc_hour, utc_minute) for x in inner)
    tz = rules.zone(zone)
    assert all(x.start.astimezone(tz).time() == dt.time(9, 0) for x in inner)
    people = [x.person_id for x in shifts]
    assert all(b == a % 3 + 1 for a, b in itertools.pairwise(people))


def test_handoff_in_the_spring_gap_moves_forward_to_the_change() -> None:
    s = rules.CompiledSchedule(1, "Europe/London", (_layer(dt.datetime(2026, 3, 27, 1, 30)),))
    starts = [x.start for x in s.shifts(_u(2026, 3, 28), _u(2026, 3, 31))]
    assert _u(2026, 3, 29, 1, 0) in starts  # 01:30 does not exist that night: 02:00 BST
    assert _u(2026, 3, 30, 0, 30) in starts  # 01:30 BST the day after


def test_handoff_in_the_repeated_hour_is_its_first_occurrence() -> None:
    s = rules.CompiledSchedule(1, "Europe/London", (_layer(dt.datetime(2026, 10, 20, 1, 30)),))
    starts = [x.start for x in s.shifts(_u(2026, 10, 24, 12), _u(2026, 10, 26, 12))]
    assert _u(2026, 10, 25, 0, 30) in starts  # 01:30 BST, not 01:30 GMT


def test_restrictions_business_hours_and_nights_past_midnight() -> None:
    day = rules.Restriction((0, 1, 2, 3, 4), dt.time(9), dt.time(17))
    night = rules.Restriction((0, 1, 2, 3, 4, 5, 6), dt.time(22), dt.time(6))
    s = rules.CompiledSchedule(1, "Europe/London", (
        _layer(dt.datetime(2026, 1, 5, 9), "weekly", members=(1,), restrictions=(day,), layer_id=1),
        _layer(dt.datetime(2026, 1, 5, 9), "weekly", members=(2,), restrictions=(night,), layer_id=2),
    ))
    assert s.who(_u(2026, 1, 7, 10)) == [1]
    assert s.who(_u(2026, 1, 7, 23)) == [2]
    assert s.who(_u(2026, 1, 8, 3)) == [2]
    assert s.who(_u(2026, 1, 7, 19)) == []
    assert s.who(_u(2026, 1, 10, 12)) == []  # Saturday
    gaps = s.gaps(_u(2026, 1, 7), _u(2026, 1, 8))
    assert gaps == [(_u(2026, 1, 7, 6), _u(2026, 1, 7, 9)), (_u(2026, 1, 7, 17), _u(2026, 1, 7, 22))]
    assert rules.describe_gap(*gaps[0], "Europe/London") == "Nobody covers Wed 07 Jan 06:00–09:00 (Europe/London)"


def test_higher_levels_win_and_overrides_win_over_every_layer() -> None:
    base = _layer(dt.datetime(2026, 1, 1, 9), members=(1,), layer_id=1)
    top = _layer(dt.datetime(2026, 1, 1, 9), members=(2,), level=5, layer_id=2,
                 restrictions=(rules.Restriction((2,), dt.time(12), dt.time(14)),))
    covers = rules.OverrideRule(7, person_id=3, start=_u(2026, 1, 7, 13), end=_u(2026, 1, 7, 16), covers_for=2)
    everyone = rules.OverrideRule(8, person_id=4, start=_u(2026, 1, 7, 18), end=_u(2026, 1, 7, 19))
    s = rules.CompiledSchedule(1, "UTC", (base, top), (covers, everyone))
    assert s.who(_u(2026, 1, 7, 11)) == [1]
    assert s.who(_u(2026, 1, 7, 12)) == [2]
    assert s.who(_u(2026, 1, 7, 13)) == [3]
    assert s.who(_u(2026, 1, 7, 15)) == [1]  # the override covers for 2, who is no longer on
    assert s.who(_u(2026, 1, 7, 18, 30)) == [4]
    found = [x for x in s.shifts(_u(2026, 1, 7, 13), _u(2026, 1, 7, 14))]
    assert found == [rules.Shift(3, _u(2026, 1, 7, 13), _u(2026, 1, 7, 14), None, 7)]


@pytest.mark.parametrize(("rotation", "hours", "message"), [
    ("hourly", None, "rotation must be"), ("custom", None, "needs shift_hours"), ("custom", 0, "more than 0"),
    ("custom", -4, "more than 0"), ("custom", 0.01, "whole number of minutes"), ("custom", True, "needs shift_hours"),
])
def test_period_validation(rotation: str, hours: float | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules.period_of(rotation, hours)


def test_custom_every_n_days_and_eight_hours() -> None:
    assert rules.period_of("custom", 48) == dt.timedelta(days=2)
    assert rules.period_of("custom", 8) == dt.timedelta(hours=8)


@pytest.mark.parametrize("value", [
    "x", [{"days": [7], "start": "09:00", "end": "17:00"}], [{"days": [], "start": "09:00", "end": "17:00"}],
    [{"days": [1], "start": "9", "end": "17:00"}], [{"days": [1], "start": "09:00", "end": "24:00"}],
    [{"days": [1], "start": "09:00", "end": "17:00", "x": 1}], ["Mon"],
])
def test_bad_restrictions_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        rules.parse_restrictions(value)


def test_restriction_text_round_trip() -> None:
    parsed = rules.parse_restriction_text("Mon-Fri 09:00-17:00; Sat,Sun 22:00-06:00")
    assert parsed == [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"},
                      {"days": [5, 6], "start": "22:00", "end": "06:00"}]
    assert rules.restriction_text(parsed) == "Mon-Fri 09:00-17:00; Sat-Sun 22:00-06:00"
    assert rules.parse_restriction_text("Fri-Mon 00:00-00:00")[0]["days"] == [0, 4, 5, 6]
    for bad in ("Funday 09:00-17:00", "Mon 09:00", "Mon 25:00-26:00"):
        with pytest.raises(ValueError):
            rules.parse_restriction_text(bad)


def test_zone_validation() -> None:
    assert rules.valid_zone("Asia/Kolkata") == "Asia/Kolkata"
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            rules.valid_zone(bad)
