"""On-call API: the shapes of issue 19, validation answers, permissions, feeds."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.oncall.models import Override, Schedule
from tests import factories as f
from tests.oncall.helpers import make_schedule

pytestmark = pytest.mark.django_db


def _body(people: list[int], **kw: object) -> dict[str, object]:
    return {"name": "Northgate EPR", "time_zone": "Europe/London", "layers": [
        {"name": "Nights", "rotation": "custom", "shift_hours": 12, "handoff": "08:00", "start": "2026-03-01",
         "people": people, "restrictions": []},
    ], **kw}


def test_create_then_on_call_across_spring_forward(admin_api) -> None:
    a, b = f.make_user("engineer"), f.make_user("engineer")
    made = admin_api.post("oncall/schedules", _body([a.pk, b.pk]))
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    assert made.json()["layers"][0]["people"] == [{"id": a.pk, "username": a.username}, {"id": b.pk, "username": b.username}]
    # 2026-03-29 London springs forward: the 20:00 shift of the 28th ends at 08:00 BST = 07:00 UTC.
    before = admin_api.get(f"oncall/schedules/{sid}/on-call", at="2026-03-29T06:59:00Z").json()
    after = admin_api.get(f"oncall/schedules/{sid}/on-call", at="2026-03-29T07:00:00Z").json()
    assert before["people"] != after["people"] and len(after["people"]) == 1
    out = admin_api.get(f"oncall/schedules/{sid}/shifts", start="2026-03-28T00:00:00Z", end="2026-03-30T00:00:00Z").json()
    night = next(s for s in out["shifts"] if s["start"].startswith("2026-03-28T20:00"))
    assert night["end"].startswith("2026-03-29T07:00") and out["gaps"] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"layers": [{"name": "L", "rotation": "custom", "handoff": "08:00", "start": "2026-03-01", "people": []}]},
     "layers[0].shift_hours"),
    ({"layers": [{"name": "L", "rotation": "daily", "handoff": "08:00", "start": "2026-03-01", "people": [99999]}]},
     "layers[0].people"),
    ({"region": 99999}, "region"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_written(admin_api, change: dict[str, object], field: str) -> None:
    answer = admin_api.post("oncall/schedules", {**_body([]), **change})
    assert answer.status_code == 422, answer.content
    assert field in answer.content.decode()
    assert not Schedule.objects.exists()


def test_bad_restriction_and_nonpositive_hours_are_422(admin_api) -> None:
    layer = {"name": "L", "rotation": "custom", "shift_hours": 0, "handoff": "08:00", "start": "2026-03-01"}
    assert admin_api.post("oncall/schedules", {**_body([]), "layers": [layer]}).status_code == 422
    layer = {"name": "L", "rotation": "daily", "handoff": "08:00", "start": "2026-03-01",
             "restrictions": [{"days": [9], "start": "09:00", "end": "17:00"}]}
    assert admin_api.post("oncall/schedules", {**_body([]), "layers": [layer]}).status_code == 422
    assert not Schedule.objects.exists()


def test_overrides_win_and_end_before_start_is_refused(admin_api) -> None:
    a, b, c = (f.make_user("engineer") for _ in range(3))
    schedule = make_schedule([a, b])
    path = f"oncall/schedules/{schedule.pk}/overrides"
    bad = admin_api.post(path, {"person": c.pk, "start": "2026-02-01T10:00:00Z", "end": "2026-02-01T09:00:00Z"})
    assert bad.status_code == 422 and not Override.objects.exists()
    made = admin_api.post(path, {"person": c.pk, "start": "2026-02-01T10:00:00Z", "end": "2026-02-01T12:00:00Z",
                                 "reason": "dentist"})
    assert made.status_code == 201, made.content
    on = admin_api.get(f"oncall/schedules/{schedule.pk}/on-call", at="2026-02-01T11:00:00Z").json()
    assert on["people"] == [{"id": c.pk, "username": c.username}]
    assert admin_api.get(path).json()[0]["reason"] == "dentist"
    assert admin_api.delete(f"{path}/{made.json()['id']}").status_code == 204
    on = admin_api.get(f"oncall/schedules/{schedule.pk}/on-call", at="2026-02-01T11:00:00Z").json()
    assert on["people"][0]["id"] in (a.pk, b.pk)
    verbs = [e["verb"] for e in admin_api.get(f"oncall/schedules/{schedule.pk}/timeline").json()["items"]]
    assert {"created", "override_added", "override_removed"} <= set(verbs)


def test_span_limit_and_naive_instants(admin_api) -> None:
    schedule = make_schedule()
    path = f"oncall/schedules/{schedule.pk}/shifts"
    assert admin_api.get(path, start="2026-01-01T00:00:00Z", end="2026-04-01T00:00:00Z").status_code == 422
    assert admin_api.get(path, start="2026-01-02T00:00:00Z", end="2026-01-01T00:00:00Z").status_code == 422
    assert admin_api.get(f"oncall/schedules/{schedule.pk}/on-call", at="2026-01-01T00:00:00").status_code == 422


def test_who_for_service_site_client(admin_api) -> None:
    client = f.make_client()
    site = f.make_site(clients=[client])
    service = f.make_service(client, sites=[site])
    a = f.make_user("engineer")
    schedule = make_schedule([a], services=[service.pk], sites=[site.pk], client=client.pk)
    for query in ({"service": service.pk}, {"site": site.pk}, {"client": client.pk}):
        out = admin_api.get("oncall/who", at="2026-02-01T12:00:00Z", **query).json()
        assert out["schedules"] == [{"schedule": schedule.pk, "name": schedule.name, "time_zone": "Europe/London",
                                     "people": [{"id": a.pk, "username": a.username}]}]
    assert admin_api.get("oncall/who").status_code == 422


def test_client_users_never_see_schedules(api_for) -> None:
    client = f.make_client()
    schedule = make_schedule(client=client.pk)
    viewer = api_for(f.make_user("client", client=client))
    assert viewer.get("oncall/schedules").json()["count"] == 0
    assert viewer.get(f"oncall/schedules/{schedule.pk}").status_code == 404
    assert viewer.get(f"oncall/schedules/{schedule.pk}/on-call").status_code == 404
    assert viewer.get("oncall/who", client=client.pk).json()["schedules"] == []


def test_writes_need_the_role(api_for) -> None:
    engineer = f.make_user("engineer")
    answer = api_for(engineer).post("oncall/schedules", _body([]))
    assert answer.status_code == 403 and not Schedule.objects.exists()


def test_patch_replaces_layers_and_delete_removes(admin_api) -> None:
    schedule = make_schedule()
    c = f.make_user("engineer")
    out = admin_api.patch(f"oncall/schedules/{schedule.pk}", {"team": "EPR", "layers": [
        {"name": "Weekly", "rotation": "weekly", "handoff": "10:00", "start": "2026-01-05", "people": [c.pk]}]})
    assert out.status_code == 200, out.content
    assert out.json()["team"] == "EPR" and [x["name"] for x in out.json()["layers"]] == ["Weekly"]
    assert admin_api.delete(f"oncall/schedules/{schedule.pk}").status_code == 204
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_ical_feeds_need_a_calendar_token(anon_api) -> None:
    a, b = f.make_user("engineer"), f.make_user("engineer")
    schedule = make_schedule([a, b])
    with clock.frozen(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)):
        assert anon_api.get(f"/api/v1/oncall/schedules/{schedule.pk}/shifts.ics").status_code == 401
        token = f.make_token(a, ["calendar"])
        feed = anon_api.get(f"/api/v1/oncall/schedules/{schedule.pk}/shifts.ics", token=token)
        assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR")
        assert feed.content.count(b"BEGIN:VEVENT") >= 89
        mine = anon_api.get("/api/v1/oncall/my-shifts.ics", token=token)
        assert mine.status_code == 200 and 44 <= mine.content.count(b"BEGIN:VEVENT") <= 46
        assert b.username.encode() not in mine.content
        assert anon_api.get("/api/v1/oncall/my-shifts.ics", token=f.make_token(a, ["metrics"])).status_code == 401


def test_list_query_count_does_not_grow_with_schedules(admin_api, django_assert_max_num_queries) -> None:
    for _ in range(6):
        make_schedule()
    with django_assert_max_num_queries(14):
        page = admin_api.get("oncall/schedules")
    assert page.json()["count"] == 6 and all(len(s["layers"]) == 1 for s in page.json()["items"])
