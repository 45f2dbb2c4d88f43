"""On-call services on a real database: gap warnings sent once, timeline, queries' seams."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import timeline
from opsdesk.core.models import Notification
from opsdesk.oncall import queries, services
from tests import factories as f
from tests.oncall.helpers import make_schedule

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _business_hours(people: list[object]) -> object:
    return make_schedule(people, layers=[{  # type: ignore[arg-type]
        "name": "Days", "rotation": "weekly", "handoff": "09:00", "start": "2026-01-05",
        "people": [p.pk for p in people],  # type: ignore[attr-defined]
        "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}])


def test_gap_warning_is_sent_once_per_gap() -> None:
    a, b = f.make_user("engineer"), f.make_user("engineer")
    schedule = _business_hours([a, b])
    now = dt.datetime(2026, 2, 4, 10, 0, tzinfo=UTC)  # Wednesday, covered; the gap begins at 17:00
    assert services.warn_gaps(now) == 1
    assert services.warn_gaps(now + dt.timedelta(minutes=5)) == 0
    sent = Notification.objects.filter(title__contains=schedule.name)  # type: ignore[attr-defined]
    assert {n.user_id for n in sent} == {a.pk, b.pk}
    assert "Nobody covers Wed 04 Feb 17:00" in sent[0].body
    assert timeline.for_object(schedule).filter(verb="gap_warned").count() == 1  # type: ignore[arg-type]


def test_next_gap_next_handoff_and_shifts_of() -> None:
    a, b = f.make_user("engineer"), f.make_user("engineer")
    schedule = _business_hours([a, b])
    now = dt.datetime(2026, 2, 4, 10, 0, tzinfo=UTC)
    assert queries.next_gap(schedule, now, dt.timedelta(hours=24)) == (now.replace(hour=17), now.replace(day=5, hour=9))
    assert queries.next_gap(schedule, now, dt.timedelta(hours=2)) is None
    assert queries.next_handoff(schedule, now) == now.replace(hour=17)
    mine = queries.shifts_of(a, now, now + dt.timedelta(days=14))
    assert mine and all(s.person_id == a.pk for _, s in mine)
    assert queries.on_call(schedule, now) in ([a], [b])  # type: ignore[arg-type]


def test_on_call_of_a_loaded_schedule_needs_no_query(django_assert_num_queries) -> None:
    schedule = make_schedule()
    loaded = list(queries.lookup_queryset().filter(pk=schedule.pk))
    at = dt.datetime(2026, 2, 4, 10, 0, tzinfo=UTC)
    queries.on_call(loaded[0], at)
    with django_assert_num_queries(0):
        assert len(queries.on_call(loaded[0], at + dt.timedelta(days=1))) == 1


def test_add_layer_and_a_nonexistent_user_override() -> None:
    schedule = make_schedule()
    actor = f.make_user("admin")
    c = f.make_user("engineer")
    services.add_layer(schedule, {"name": "Top", "rotation": "custom", "shift_hours": 8, "handoff": "00:00",
                                  "start": "2026-01-01", "people": [c.pk], "level": 5}, actor=actor)
    assert queries.on_call(queries.get_schedule(actor, schedule.pk), dt.datetime(2026, 2, 4, 3, tzinfo=UTC)) == [c]
    with pytest.raises(Exception, match="person"):
        services.add_override(schedule, {"person": 999999, "start": "2026-02-01T00:00:00Z",
                                         "end": "2026-02-02T00:00:00Z"}, actor)


def test_the_gap_warning_job_is_registered_every_five_minutes() -> None:
    from opsdesk.core import periodic

    job = next(j for j in periodic.jobs() if j.name == "oncall-gap-warnings")
    assert job.every == 300


def test_a_later_layer_wins_where_it_covers_unless_levels_are_given() -> None:
    day, night = f.make_user("engineer"), f.make_user("engineer")
    primary = {"name": "Primary", "rotation": "weekly", "handoff": "09:00", "start": "2026-01-05", "people": [day.pk]}
    nights = {"name": "Nights", "rotation": "daily", "handoff": "20:00", "start": "2026-01-05", "people": [night.pk],
              "restrictions": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "20:00", "end": "08:00"}]}
    listed = make_schedule([day, night], time_zone="Australia/Sydney", layers=[primary, nights])
    ten_pm = dt.datetime(2026, 2, 4, 11, 0, tzinfo=UTC)  # 22:00 in Sydney (AEDT)
    noon = dt.datetime(2026, 2, 4, 1, 0, tzinfo=UTC)
    assert [layer.level for layer in listed.layers.order_by("id")] == [0, 1]  # type: ignore[attr-defined]
    assert queries.on_call(listed, ten_pm) == [night]  # type: ignore[arg-type]
    assert queries.on_call(listed, noon) == [day]  # type: ignore[arg-type]
    together = make_schedule([day, night], time_zone="Australia/Sydney",
                             layers=[{**primary, "level": 0}, {**nights, "level": 0}])
    assert set(queries.on_call(together, ten_pm)) == {day, night}  # type: ignore[arg-type]
