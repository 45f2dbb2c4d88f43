"""API contract of /api/v1/change-windows: CRUD, validation as problem details, tenancy, timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.accounts import services as account_services
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def user(role: str, client=None):
    """A user without a password (hashing one costs 0.3 s; these tests use tokens)."""
    return account_services.create_user(username=f"{role}{f.n()}", role=role, client=client, password=None)


@pytest.fixture
def admin_api(api_for):
    return api_for(user("admin"))


@pytest.fixture
def lon():
    return f.make_site(code="lon-dc1", time_zone="Europe/London")


def weekly(site_id: int, **kw):
    body = {"kind": "window", "name": "Sunday maintenance", "site": site_id, "rrule": "FREQ=WEEKLY;BYDAY=SU",
            "start": "2026-01-04T01:00", "duration_minutes": 240}
    body.update(kw)
    return body


def test_create_recurring_window_shows_local_times_and_upcoming_occurrences_across_dst(admin_api, lon):
    r = admin_api.post("change-windows", weekly(lon.pk))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "window" and body["site"] == lon.pk and body["region"] is None
    assert body["rrule"] == "FREQ=WEEKLY;BYDAY=SU"
    assert body["start"] == "2026-01-04T01:00:00" and body["end"] == "2026-01-04T05:00:00"
    assert body["duration_minutes"] == 240 and body["time_zone"] == "Europe/London"
    upcoming = [(o["start"], o["end"]) for o in body["upcoming"]]
    assert upcoming[:3] == [
        ("2026-03-22T01:00:00Z", "2026-03-22T05:00:00Z"),
        # 01:00 does not exist on 29 Mar: read before the gap (02:00 BST), 240 real minutes.
        ("2026-03-29T02:00:00+01:00", "2026-03-29T06:00:00+01:00"),
        ("2026-04-05T01:00:00+01:00", "2026-04-05T05:00:00+01:00"),
    ]
    assert len(upcoming) == 5


def test_create_one_off_freeze_with_start_and_end(admin_api, lon):
    # The clocks go forward inside: the duration is the real elapsed time at that site.
    r = admin_api.post("change-windows", {"kind": "freeze", "name": "Move", "site": lon.pk,
                                          "start": "2026-03-28T00:00", "end": "2026-03-30T00:00"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["duration_minutes"] == 47 * 60
    assert body["rrule"] == "" and body["end"] == "2026-03-30T00:00:00"
    assert [(o["start"], o["end"]) for o in body["upcoming"]] == [("2026-03-28T00:00:00Z", "2026-03-30T00:00:00+01:00")]


def test_region_and_client_rules_list_upcoming_at_their_first_site(admin_api):
    region, client = f.make_region(), f.make_client()
    f.make_site(code="b-fra", region=region, time_zone="Europe/Berlin", clients=[client])
    f.make_site(code="a-lon", region=region, time_zone="Europe/London")
    r = admin_api.post("change-windows", weekly(None, region=region.pk))
    assert r.status_code == 201, r.content
    assert r.json()["time_zone"] is None
    assert {o["site_code"] for o in r.json()["upcoming"]} == {"a-lon"}
    r = admin_api.post("change-windows", weekly(None, client=client.pk, kind="freeze"))
    assert r.status_code == 201, r.content
    assert r.json()["upcoming"][0]["start"] == "2026-03-22T01:00:00+01:00"


def test_list_filters_and_query_count(admin_api, lon, django_assert_max_num_queries):
    other = f.make_site(region=lon.region)
    client = f.make_client()
    lon.clients.set([client])
    admin_api.post("change-windows", weekly(lon.pk))
    admin_api.post("change-windows", weekly(other.pk, name="Other"))
    admin_api.post("change-windows", weekly(None, region=lon.region_id, name="Region", kind="freeze"))
    admin_api.post("change-windows", weekly(None, client=client.pk, name="Client"))
    names = lambda **q: sorted(w["name"] for w in admin_api.get("change-windows", **q).json()["items"])  # noqa: E731
    assert names() == ["Client", "Other", "Region", "Sunday maintenance"]
    assert names(kind="freeze") == ["Region"]
    assert names(site=lon.pk) == ["Sunday maintenance"]
    assert names(region=lon.region_id) == ["Region"]
    assert names(client=client.pk) == ["Client"]
    assert names(applies_to=lon.pk) == ["Client", "Region", "Sunday maintenance"]
    with django_assert_max_num_queries(8):
        assert admin_api.get("change-windows").json()["count"] == 4


def test_patch_delete_and_timeline(admin_api, lon):
    wid = admin_api.post("change-windows", weekly(lon.pk)).json()["id"]
    r = admin_api.patch(f"change-windows/{wid}", {"duration_minutes": 120, "name": "Short"})
    assert r.status_code == 200, r.content
    assert r.json()["end"] == "2026-01-04T03:00:00" and r.json()["name"] == "Short"
    region = f.make_region()
    r = admin_api.patch(f"change-windows/{wid}", {"region": region.pk})
    assert r.status_code == 422
    r = admin_api.patch(f"change-windows/{wid}", {"site": None, "region": region.pk})
    assert r.status_code == 200 and r.json()["region"] == region.pk and r.json()["site"] is None
    r = admin_api.patch(f"change-windows/{wid}", {"rrule": "", "end": "2026-01-04T02:00"})
    assert r.status_code == 200 and r.json()["rrule"] == "" and r.json()["duration_minutes"] == 60
    verbs = [a["verb"] for a in admin_api.get(f"change-windows/{wid}/timeline").json()["items"]]
    assert verbs == ["created", "updated", "updated", "updated"]
    assert admin_api.delete(f"change-windows/{wid}").status_code == 204
    assert admin_api.get(f"change-windows/{wid}").status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule"),
    ({"rrule": "FREQ=MINUTELY"}, "rrule"),
    ({"rrule": "FREQ=DAILY;UNTIL=20270101T000000Z"}, "rrule"),
    ({"rrule": "", "duration_minutes": None}, "end"),  # neither rrule + duration nor end
    ({"end": "2026-01-04T03:00"}, "end"),  # end and duration_minutes both
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": 60 * 24 * 367}, "duration_minutes"),
    ({"start": "2026-01-04T01:00+01:00"}, "start"),
    ({"start": "tomorrow"}, "start"),
    ({"start": None}, "start"),
    ({"kind": "holiday"}, "kind"),
    ({"site": 999999}, "site"),
    ({"site": None}, "site"),  # no scope
    ({"region": "REGION"}, "region"),  # two scopes
    ({"unexpected": 1}, "unexpected"),
])
def test_bad_input_is_422_problem_naming_the_field(admin_api, lon, change, field):
    body = {**weekly(lon.pk), **change}
    if body.get("region") == "REGION":
        body["region"] = lon.region_id
    body = {k: v for k, v in body.items() if not (k == "duration_minutes" and v is None)}
    r = admin_api.post("change-windows", body)
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert not ChangeWindow.objects.exists()


def test_permissions_and_tenancy(api_for, lon):
    client = f.make_client()
    lon.clients.set([client])
    window = ChangeWindow.objects.create(kind="window", name="W", site=lon, start_on=dt.date(2026, 1, 4),
                                         start_time=dt.time(1), duration_minutes=60, rrule="FREQ=WEEKLY")
    client_api = api_for(user("client", client=client))
    assert client_api.get(f"change-windows/{window.pk}").status_code == 404
    assert client_api.get(f"change-windows/{window.pk}/timeline").status_code == 404
    assert client_api.patch(f"change-windows/{window.pk}", {"name": "x"}).status_code == 404
    assert client_api.delete(f"change-windows/{window.pk}").status_code == 404
    assert client_api.get("change-windows").json()["count"] == 0
    assert client_api.post("change-windows", weekly(lon.pk)).status_code == 403
    engineer_api = api_for(user("engineer"))
    assert engineer_api.get(f"change-windows/{window.pk}").status_code == 200
    assert engineer_api.post("change-windows", weekly(lon.pk)).status_code == 403
    approver_api = api_for(user("change_approver"))
    assert approver_api.post("change-windows", weekly(lon.pk)).status_code == 201
    assert api_for(user("change_approver"), ["read"]).post("change-windows", weekly(lon.pk)).status_code == 403
