"""On-call pages with Django's test client: status, content, escaping, form posts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from opsdesk.core import clock
from opsdesk.oncall.models import Override, Schedule
from tests import factories as f
from tests.oncall.helpers import make_schedule

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday; London springs forward on Sunday 29th


def _browser(role: str = "admin", **kw: object) -> HttpClient:
    http = HttpClient()
    http.force_login(f.make_user(role, **kw))  # type: ignore[arg-type]
    return http


def _days_only(people: list[object]) -> Schedule:
    return make_schedule(people, name="<b>Days</b>", layers=[{  # type: ignore[arg-type]
        "name": "D", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
        "people": [p.pk for p in people],  # type: ignore[attr-defined]
        "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}])


def test_list_shows_who_is_on_call_and_gap_badge_escaped() -> None:
    a = f.make_user("engineer", username="ada")
    schedule = _days_only([a])
    with clock.frozen(NOW):
        page = _browser().get("/oncall/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "&lt;b&gt;Days&lt;/b&gt;" in body and "<b>Days</b>" not in body
    assert "ada" in body and 'data-testid="gap-warning"' in body
    assert "Nobody covers Wed 25 Mar 17:00–Thu 26 Mar 09:00" in body
    assert f"/oncall/{schedule.pk}/" in body


def test_week_view_local_times_across_dst_and_findings() -> None:
    a = f.make_user("engineer", username="ada")
    schedule = _days_only([a])
    with clock.frozen(NOW):
        page = _browser().get(f"/oncall/{schedule.pk}/", {"start": "2026-03-30"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Mon 30 Mar" in body and "09:00–17:00 ada" in body  # 09:00 BST after the change
    assert "Nobody covers Mon 30 Mar 00:00–09:00" in body
    assert "?start=2026-03-23" in body and "?start=2026-04-06" in body
    assert "Timeline" in body or "timeline" in body


def test_add_and_remove_override_from_the_page() -> None:
    a, b = f.make_user("engineer", username="ada"), f.make_user("engineer", username="bo")
    schedule = _days_only([a])
    http = _browser()
    with clock.frozen(NOW):
        bad = http.post(f"/oncall/{schedule.pk}/overrides/", {"person": b.pk, "start": "2026-03-26T10:00",
                                                              "end": "2026-03-26T09:00"})
        assert bad.status_code == 400 and not Override.objects.exists()
        done = http.post(f"/oncall/{schedule.pk}/overrides/", {"person": b.pk, "start": "2026-03-30T10:00",
                                                               "end": "2026-03-30T12:00", "reason": "<i>swap</i>"})
        assert done.status_code == 302
        override = Override.objects.get()
        assert override.start_at == dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)  # 10:00 BST
        page = http.get(f"/oncall/{schedule.pk}/", {"start": "2026-03-30"}).content.decode()
        assert "&lt;i&gt;swap&lt;/i&gt;" in page and "10:00–12:00 bo" in page
        assert http.post(f"/oncall/{schedule.pk}/overrides/{override.pk}/delete/").status_code == 302
    assert not Override.objects.exists()


def test_editor_creates_and_edits_a_schedule_without_js() -> None:
    f.make_user("engineer", username="ada"), f.make_user("engineer", username="bo")
    http = _browser()
    assert http.get("/oncall/new/").status_code == 200
    form = {"name": "Nights", "time_zone": "Europe/London", "layer_count": "1",
            "layer-0-name": "Night", "layer-0-rotation": "custom", "layer-0-shift_hours": "12",
            "layer-0-handoff": "20:00", "layer-0-start": "2026-03-01", "layer-0-people": "bo, ada",
            "layer-0-restrictions": "Mon-Fri 20:00-08:00", "layer-0-level": "0"}
    assert http.post("/oncall/new/", {**form, "time_zone": "Mars/Base"}).status_code == 400
    assert http.post("/oncall/new/", {**form, "layer-0-people": "nobody-here"}).status_code == 400
    assert http.post("/oncall/new/", {**form, "layer-0-restrictions": "Funday 1-2"}).status_code == 400
    assert not Schedule.objects.exists()
    made = http.post("/oncall/new/", form)
    assert made.status_code == 302, made.content.decode()[:2000]
    schedule = Schedule.objects.get()
    layer = schedule.layers.get()
    assert [m.person.username for m in layer.members.all()] == ["bo", "ada"]
    assert layer.restrictions == [{"days": [0, 1, 2, 3, 4], "start": "20:00", "end": "08:00"}]
    edit = http.get(f"/oncall/{schedule.pk}/edit/").content.decode()
    assert "bo, ada" in edit and "Mon-Fri 20:00-08:00" in edit
    changed = http.post(f"/oncall/{schedule.pk}/edit/", {**form, "team": "EPR", "layer_count": "2",
                                                         "layer-1-name": "", "layer-1-rotation": "weekly",
                                                         "layer-1-handoff": "09:00"})
    assert changed.status_code == 302
    assert Schedule.objects.get().team == "EPR"


def test_my_shifts_and_navigation() -> None:
    http = HttpClient()
    a = f.make_user("engineer", username="ada")
    make_schedule([a, f.make_user("engineer")])
    http.force_login(a)
    with clock.frozen(NOW):
        page = http.get("/oncall/my-shifts/")
    body = page.content.decode()
    assert page.status_code == 200 and "/api/v1/oncall/my-shifts.ics" in body
    assert body.count("<tr>") >= 14
    assert 'href="/oncall/"' in body


def test_client_users_and_readers_without_write() -> None:
    client = f.make_client()
    schedule = make_schedule()
    viewer = _browser("client", client=client)
    assert viewer.get("/oncall/").status_code == 404
    assert viewer.get(f"/oncall/{schedule.pk}/").status_code == 404
    engineer = _browser("engineer")
    assert engineer.get(f"/oncall/{schedule.pk}/").status_code == 200
    assert engineer.get("/oncall/new/").status_code == 403
    assert engineer.post(f"/oncall/{schedule.pk}/delete/").status_code == 403
