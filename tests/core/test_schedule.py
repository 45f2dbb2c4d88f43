"""core.schedule: what is planned where and when, and what overlaps it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.core import schedule
from opsdesk.core.models import ScheduleEntry, ScheduleTarget

T0 = dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def put(ref: str, start: float, end: float, sites=(), services=(), kind="change") -> None:
    schedule.put(ref, kind=kind, label=ref, start_at=h(start), end_at=h(end), site_ids=sites, service_ids=services)


@pytest.mark.django_db
def test_put_replaces_and_remove_forgets():
    put("changes.changerequest:1", 1, 3, sites=[1], services=[7])
    put("changes.changerequest:1", 5, 6, sites=[2])
    assert ScheduleEntry.objects.count() == 1
    assert set(ScheduleTarget.objects.values_list("kind", "target_id")) == {("site", 2)}
    assert schedule.overlapping(h(1), h(3), site_ids=[1]) == []
    schedule.remove("changes.changerequest:1")
    assert not ScheduleEntry.objects.exists()


@pytest.mark.django_db
def test_overlap_by_site_or_service_and_half_open_intervals():
    put("a", 1, 3, sites=[1])
    put("b", 2, 4, services=[9])
    put("c", 3, 5, sites=[1])  # starts exactly when a ends: no overlap with [1, 3)
    put("d", 0, 10, sites=[2], kind="visit")
    found = {p.ref for p in schedule.overlapping(h(1), h(3), site_ids=[1], service_ids=[9])}
    assert found == {"a", "b"}
    assert {p.ref for p in schedule.overlapping(h(1), h(3), site_ids=[1], exclude_ref="a")} == set()
    assert [p.ref for p in schedule.overlapping(h(4), h(5), site_ids=[1, 2], kinds=["visit"])] == ["d"]
    planned = schedule.overlapping(h(2), h(2.5), service_ids=[9])[0]
    assert planned.service_ids == frozenset({9}) and planned.site_ids == frozenset()
    assert schedule.overlapping(h(1), h(3)) == []


@pytest.mark.django_db
def test_between_lists_everything_in_a_range():
    put("a", 1, 2, sites=[1])
    put("b", 30, 31, sites=[1])
    assert [p.ref for p in schedule.between(h(0), h(24))] == ["a"]


intervals = st.tuples(st.integers(0, 48), st.integers(1, 12)).map(lambda t: (t[0], t[0] + t[1]))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(intervals, st.sets(st.integers(1, 4), max_size=2)), max_size=12), intervals,
       st.sets(st.integers(1, 4), min_size=1, max_size=2))
def test_overlapping_matches_brute_force(entries, query, sites):
    ScheduleEntry.objects.all().delete()
    for i, ((start, end), entry_sites) in enumerate(entries):
        put(f"e{i}", start, end, sites=entry_sites)
    expected = {
        f"e{i}" for i, ((start, end), entry_sites) in enumerate(entries)
        if start < query[1] and query[0] < end and entry_sites & sites
    }
    found = {p.ref for p in schedule.overlapping(h(query[0]), h(query[1]), site_ids=sites)}
    assert found == expected
