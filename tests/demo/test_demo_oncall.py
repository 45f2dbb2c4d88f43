"""The demo's on-call schedules: regional business hours with visible gaps, follow the sun, and the
hospital's 24×7 with someone on call at every instant."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.demo.oncall import HOSPITAL
from opsdesk.oncall import queries
from opsdesk.oncall.models import Schedule

pytestmark = pytest.mark.usefixtures("demo", "db")
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=60)  # across the March clock changes in London, New York and Sydney (April)


def test_the_hospital_schedule_covers_every_instant_across_dst() -> None:
    hospital = queries.lookup_queryset().get(name=HOSPITAL)
    assert hospital.client is not None and hospital.client.name == "Northgate Health"
    assert hospital.services.filter(code="epr").exists() and hospital.sites.exists()
    assert queries.gaps(hospital, NOW, NOW + SPAN) == []
    assert [layer.name for layer in hospital.layers.all()] == ["Primary", "Secondary"]
    people = queries.on_call(hospital, NOW)
    assert len(people) == 1 and people[0].role == "engineer"
    epr = hospital.services.get(code="epr")
    found = queries.on_call_for(service_id=epr.pk, at=NOW)
    assert [(s.name, p) for s, p in found] == [(HOSPITAL, people)]


def test_follow_the_sun_is_24x7_and_regional_schedules_show_gaps() -> None:
    sun = queries.lookup_queryset().get(name="Follow the sun (global NOC)")
    assert queries.gaps(sun, NOW, NOW + SPAN) == []
    hands = {u.pk for at in (3, 11, 19) for u in queries.on_call(sun, NOW.replace(hour=at))}
    assert len(hands) == 3
    regional = queries.lookup_queryset().filter(name__endswith="(business hours)")
    assert regional.count() == 3
    for schedule in regional:
        assert queries.gaps(schedule, NOW, NOW + dt.timedelta(days=7))
    assert Schedule.objects.count() == 5
