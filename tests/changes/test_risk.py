"""Risk is explained component by component, each with its points and a plain detail."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opsdesk.changes import risk
from opsdesk.changes.risk import RiskInputs, ServiceFact
from opsdesk.sites.rules import default_business_hours

UTC = dt.UTC
EPR = ServiceFact(1, "EPR", 4)
STORAGE = ServiceFact(2, "Storage array", 4)
PRINT = ServiceFact(3, "Print", 1)


def part(a: risk.Assessment, name: str) -> risk.Component:
    return next(c for c in a.components if c.name == name)


def test_every_component_is_always_explained():
    a = risk.assess(RiskInputs("normal", services=(PRINT,), site_codes=("lon-dc1",), client_names=("N",)))
    assert [c.name for c in a.components] == [
        "criticality", "downstream_criticality", "blast_radius", "failure_history", "business_hours",
        "rollback", "verification", "collisions", "windows", "emergency",
    ]
    assert all(c.detail for c in a.components)
    assert a.score == sum(c.points for c in a.components)


def test_a_quiet_change_is_low():
    a = risk.assess(RiskInputs("normal", services=(PRINT,), rollback_minutes=10, window_minutes=120))
    assert (a.level, a.score) == ("low", 0)


def test_critical_service_with_critical_downstream():
    a = risk.assess(RiskInputs(
        "normal", services=(STORAGE,), downstream=(EPR, PRINT), site_codes=("lon-dc1",),
        client_names=("Northgate Health",), rollback_minutes=10,
    ))
    assert part(a, "criticality").points == 25
    assert "Storage array (critical)" in part(a, "criticality").detail
    assert part(a, "downstream_criticality").points == 15
    assert "EPR (critical)" in part(a, "downstream_criticality").detail
    assert part(a, "blast_radius").points == 4  # 3 services: 2 x (3 - 1)
    assert "3 service(s) including 2 downstream" in part(a, "blast_radius").detail
    assert (a.score, a.level) == (44, "medium")


def test_blast_radius_counts_sites_clients_and_services_and_is_capped():
    a = risk.assess(RiskInputs("normal", services=(PRINT,), site_codes=("a", "b", "c"), client_names=("X", "Y")))
    assert part(a, "blast_radius").points == 3 * 2 + 5 * 1
    many = risk.assess(RiskInputs("normal", site_codes=tuple("abcdefghij"), client_names=tuple("XYZW")))
    assert part(many, "blast_radius").points == risk.BLAST_MAX


@pytest.mark.parametrize(("n", "k", "points"), [(0, 0, 0), (4, 1, 5), (10, 10, 20), (3, 2, 13)])
def test_failure_history(n, k, points):
    a = risk.assess(RiskInputs("normal", similar_implemented=n, similar_failed=k, rollback_minutes=1))
    assert part(a, "failure_history").points == points
    if n:
        assert f"{k} of {n} similar changes" in part(a, "failure_history").detail


@pytest.mark.parametrize(
    ("rollback", "window", "points", "words"),
    [(None, 60, 15, "No rollback plan"), (20, 60, 0, "20 min of the 60-minute"),
     (30, 60, 0, "30 min"), (31, 60, 10, "more than half"), (90, 60, 20, "longer than the whole 60-minute")],
)
def test_rollback_against_the_window(rollback, window, points, words):
    a = risk.assess(RiskInputs("normal", rollback_minutes=rollback, window_minutes=window))
    assert part(a, "rollback").points == points
    assert words in part(a, "rollback").detail


def test_standard_change_needs_no_rollback_plan():
    assert part(risk.assess(RiskInputs("standard")), "rollback").points == 0


def test_missing_verification_collisions_windows_and_emergency():
    a = risk.assess(RiskInputs(
        "emergency", rollback_minutes=5, has_verification_plan=False,
        collisions=("CHG-9 Patch (same site lon-dc1)",) * 5,
        violations=("lon-dc1: inside freeze 'Year end' (15 Dec 00:00 – 5 Jan 00:00 Europe/London).",),
    ))
    assert part(a, "verification").points == 10
    assert part(a, "collisions").points == risk.COLLISIONS_MAX
    assert "same site lon-dc1" in part(a, "collisions").detail
    assert part(a, "windows").points == 20 and "Year end" in part(a, "windows").detail
    assert part(a, "emergency").points == 15
    assert a.level == "high"


@pytest.mark.parametrize(("score", "level"), [(0, "low"), (24, "low"), (25, "medium"), (49, "medium"), (50, "high")])
def test_levels(score, level):
    assert risk.level_for(score) == level


def test_business_hours_at_a_london_site_by_day_and_by_night():
    hours = default_business_hours()
    monday_10_local = dt.datetime(2030, 6, 3, 9, 0, tzinfo=UTC)  # 10:00 BST
    day = risk.business_hours_overlap(monday_10_local, monday_10_local + dt.timedelta(hours=2),
                                      "Europe/London", hours, "GB", "ENG")
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in day] == [("10:00", "12:00")]
    night = dt.datetime(2030, 6, 3, 22, 0, tzinfo=UTC)  # 23:00 BST to 03:00
    assert risk.business_hours_overlap(night, night + dt.timedelta(hours=4), "Europe/London", hours, "GB", "ENG") == []
    hit = risk.BusinessHoursHit("lon-dc1", "Europe/London", *day[0])
    a = risk.assess(RiskInputs("normal", rollback_minutes=5, site_codes=("lon-dc1",), business_hours=(hit,)))
    assert part(a, "business_hours").points == 15
    assert "lon-dc1 Mon 03 Jun 10:00–12:00 Europe/London" in part(a, "business_hours").detail


def test_business_hours_respect_the_sites_zone_and_holidays():
    hours = default_business_hours()
    # 04:00 UTC on a Monday is 09:30 in Kolkata (open) and 05:00 in London (closed).
    t = dt.datetime(2030, 6, 3, 4, 0, tzinfo=UTC)
    assert risk.business_hours_overlap(t, t + dt.timedelta(hours=1), "Europe/London", hours) == []
    (lo, hi), = risk.business_hours_overlap(t, t + dt.timedelta(hours=1), "Asia/Kolkata", hours, "IN", "")
    assert (lo.strftime("%H:%M"), hi.strftime("%H:%M")) == ("09:30", "10:30")
    assert lo.tzinfo == ZoneInfo("Asia/Kolkata")
    # Christmas Day 2030 is a Wednesday and a holiday in England.
    xmas = dt.datetime(2030, 12, 25, 10, 0, tzinfo=UTC)
    assert risk.business_hours_overlap(xmas, xmas + dt.timedelta(hours=2), "Europe/London", hours, "GB", "ENG") == []


def test_business_hours_across_a_dst_change():
    hours = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    # Sunday 31 March 2030: London jumps from 01:00 to 02:00; a 3-hour window is 3 hours open.
    t = dt.datetime(2030, 3, 31, 0, 0, tzinfo=UTC)
    found = risk.business_hours_overlap(t, t + dt.timedelta(hours=3), "Europe/London", hours)
    # (subtract in UTC: same-zone aware datetimes subtract by wall clock)
    assert sum((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() for a, b in found) == 3 * 3600
