"""Reads of windows and freezes from the database: the check the change lifecycle runs before approval."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes.windows import queries as window_queries
from opsdesk.changes.windows.models import ChangeWindow
from tests import factories as f

UTC = dt.UTC
LONDON, NEW_YORK, BERLIN = "Europe/London", "America/New_York", "Europe/Berlin"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.django_db
def test_violations_for_loads_sites_and_rules_in_three_queries(django_assert_num_queries):
    client, region = f.make_client(), f.make_region()
    lon = f.make_site(code="lon-dc1", region=region, time_zone=LONDON, clients=[client])
    fra = f.make_site(code="fra-dc1", region=region, time_zone=BERLIN)
    other = f.make_site(code="nyc-dc1", time_zone=NEW_YORK)
    ChangeWindow.objects.create(kind="window", name="Sunday maintenance", region=region, start_on=dt.date(2025, 1, 5),
                                start_time=dt.time(1, 0), duration_minutes=240, rrule="FREQ=WEEKLY;BYDAY=SU")
    ChangeWindow.objects.create(kind="freeze", name="Client quarter end", client=client, start_on=dt.date(2026, 7, 5),
                                start_time=dt.time(2, 0), duration_minutes=60)
    ChangeWindow.objects.create(kind="freeze", name="NYC", site=other, start_on=dt.date(2026, 7, 1),
                                start_time=dt.time(0, 0), duration_minutes=7 * 1440)
    with django_assert_num_queries(3):
        found = window_queries.violations_for(utc(2026, 7, 5), utc(2026, 7, 5, 3, 30), [lon.pk, fra.pk])
    assert [(v.site_code, v.kind, v.rule_name) for v in found] == [
        ("fra-dc1", "outside_window", "Sunday maintenance"),
        ("lon-dc1", "freeze", "Client quarter end"),
    ]
    assert window_queries.violations_for(utc(2026, 7, 12), utc(2026, 7, 12, 2), [lon.pk]) == []
    assert window_queries.violations_for(utc(2026, 7, 12), utc(2026, 7, 12, 2), []) == []
