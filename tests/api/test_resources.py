"""Contract tests of each collection: create, read, filter, update, delete, timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.core.models import Activity
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_region_crud_and_timeline(admin_api):
    r = admin_api.post("regions", {"code": "APAC", "name": "Asia Pacific", "travel_speed_kmh": 40})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert admin_api.patch(f"regions/{rid}", {"travel_speed_kmh": 45}).json()["travel_speed_kmh"] == 45
    tl = admin_api.get(f"regions/{rid}/timeline").json()["items"]
    assert [e["verb"] for e in tl] == ["created", "updated"]
    assert tl[1]["changes"] == {"travel_speed_kmh": [40, 45]}
    assert tl[1]["actor"] == "admin"
    assert admin_api.delete(f"regions/{rid}").status_code == 204
    assert admin_api.get(f"regions/{rid}").status_code == 404


def test_site_filters(admin_api):
    emea, amer = f.make_region(code="EMEA"), f.make_region(code="AMER")
    c = f.make_client()
    h = f.make_site(region=emea, kind="hospital", clients=[c])
    f.make_site(region=emea, kind="data_centre")
    f.make_site(region=amer, kind="hospital", time_zone="America/New_York")
    codes = lambda **q: {s["code"] for s in admin_api.get("sites", **q).json()["items"]}  # noqa: E731
    assert len(codes(region="EMEA")) == 2
    assert codes(region="EMEA", kind="hospital") == {h.code}
    assert codes(region=str(emea.pk), kind="hospital") == {h.code}
    assert codes(client=c.pk) == {h.code}
    assert len(codes(time_zone="America/New_York")) == 1


def test_site_create_with_clients_and_update_records_before_after(admin_api):
    region, c1, c2 = f.make_region(), f.make_client(), f.make_client()
    body = {"code": "dc2", "name": "DC2", "kind": "data_centre", "region": region.pk, "clients": [c1.pk],
            "time_zone": "America/New_York", "holiday_country": "US", "holiday_subdivision": "NY",
            "business_hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
    r = admin_api.post("sites", body)
    assert r.status_code == 201, r.content
    site = r.json()
    assert site["clients"] == [c1.pk] and site["business_hours"]["sun"] == [["00:00", "24:00"]]
    r = admin_api.patch(f"sites/{site['id']}", {"clients": [c1.pk, c2.pk], "name": "DC2 New York"})
    assert r.status_code == 200 and r.json()["clients"] == sorted([c1.pk, c2.pk])
    last = admin_api.get(f"sites/{site['id']}/timeline").json()["items"][-1]
    assert last["changes"]["name"] == ["DC2", "DC2 New York"]
    assert last["changes"]["clients"] == [[c1.pk], sorted([c1.pk, c2.pk])]


def test_site_unknown_client_is_refused(admin_api):
    region = f.make_region()
    r = admin_api.post("sites", {"code": "s", "name": "s", "kind": "office", "region": region.pk,
                                 "clients": [424242], "time_zone": "UTC"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "clients"


def test_invalid_holiday_calendar_is_refused(admin_api):
    region = f.make_region()
    r = admin_api.post("sites", {"code": "s", "name": "s", "kind": "office", "region": region.pk,
                                 "time_zone": "UTC", "holiday_country": "GB", "holiday_subdivision": "XX"})
    assert r.status_code == 422 and "subdivision" in r.json()["detail"]


def test_site_clock_shows_local_time_and_holidays(admin_api):
    site = f.make_site(time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")
    with clock.frozen(dt.datetime(2026, 12, 21, 15, 0, tzinfo=dt.UTC)):
        body = admin_api.get(f"sites/{site.pk}/clock").json()
    assert body["local_time"].startswith("2026-12-21T10:00:00") and body["utc_offset"] == "-05:00"
    assert body["open_now"] is True
    assert {"date": "2026-12-25", "name": "Christmas Day"} in body["holidays_ahead"]


def test_site_requirements_crud_and_category_filter(admin_api):
    site = f.make_site()
    r = admin_api.post("site-requirements", {"site": site.pk, "kind": "access_request",
                                             "description": "72 h access request", "lead_time_hours": 72,
                                             "categories": ["install", "cabling"]})
    assert r.status_code == 201, r.content
    f.make_requirement(site, kind="escort", description="Escort at all times", categories=[])
    assert admin_api.get("site-requirements", site=site.pk).json()["count"] == 2
    assert admin_api.get("site-requirements", site=site.pk, category="audit").json()["count"] == 1
    assert admin_api.get("site-requirements", site=site.pk, category="install").json()["count"] == 2
    bad = admin_api.post("site-requirements", {"site": site.pk, "kind": "permitted_hours", "description": "nights"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "permitted_hours"
    ok = admin_api.post("site-requirements", {"site": site.pk, "kind": "permitted_hours", "description": "nights",
                                              "permitted_hours": {"mon": [["22:00", "24:00"]]}})
    assert ok.status_code == 201 and ok.json()["permitted_hours"]["tue"] == []


def test_engineer_with_qualifications(admin_api):
    region, site = f.make_region(code="EMEA"), f.make_site()
    f.give_skill(f.make_engineer(region), "fibre")  # creates the skill
    assert admin_api.post("certifications", {"code": "cts", "name": "CompTIA Server+"}).status_code == 201
    today = clock.today_utc()
    body = {
        "name": "Ada Field", "home_region": region.pk, "time_zone": "Europe/London",
        "skills": [{"skill": "fibre", "level": 4}],
        "certifications": [{"certification": "cts", "expires_on": str(today + dt.timedelta(days=10))}],
        "site_access": [{"site": site.pk, "kind": "induction", "expires_on": str(today - dt.timedelta(days=1))}],
    }
    r = admin_api.post("engineers", body)
    assert r.status_code == 201, r.content
    eng = r.json()
    assert eng["skills"] == [{"skill": "fibre", "level": 4}]
    assert eng["certifications"][0]["status"] == "expiring"
    assert eng["site_access"][0]["status"] == "expired"
    assert admin_api.get("engineers", skill="fibre").json()["count"] == 2
    assert admin_api.get("engineers", site=site.pk).json()["count"] == 1
    r = admin_api.patch(f"engineers/{eng['id']}", {"skills": [{"skill": "fibre", "level": 5}]})
    assert r.json()["skills"][0]["level"] == 5 and r.json()["certifications"]  # untouched list kept
    bad = admin_api.patch(f"engineers/{eng['id']}", {"skills": [{"skill": "juggling", "level": 2}]})
    assert bad.status_code == 422 and "juggling" in bad.json()["detail"]
    assert admin_api.patch(f"engineers/{eng['id']}", {"skills": [{"skill": "fibre", "level": 9}]}).status_code == 422
    assert admin_api.get(f"engineers/{eng['id']}").json()["skills"][0]["level"] == 5
    verbs = [e["verb"] for e in admin_api.get(f"engineers/{eng['id']}/timeline").json()["items"]]
    assert verbs[0] == "created" and "updated" in verbs


def test_service_graph_and_cycles(admin_api):
    c = f.make_client()
    mk = lambda name, deps=(): admin_api.post("services", {"client": c.pk, "code": name, "name": name.upper(), "depends_on": list(deps)})  # noqa: E731
    switch = mk("switch").json()["id"]
    storage = mk("storage", [switch]).json()["id"]
    db_ = mk("db", [storage]).json()["id"]
    epr = mk("epr", [db_]).json()
    assert epr["depends_on"] == [db_]
    graph = admin_api.get(f"services/{storage}/graph").json()
    assert [s["code"] for s in graph["upstream"]] == ["switch"]
    assert {s["code"] for s in graph["downstream"]} == {"db", "epr"}
    r = admin_api.patch(f"services/{switch}", {"depends_on": [epr["id"]]})
    assert r.status_code == 409
    assert r.json()["detail"] == "This dependency would create a cycle: SWITCH → EPR → DB → STORAGE → SWITCH."
    assert admin_api.get(f"services/{switch}").json()["depends_on"] == []
    assert admin_api.patch(f"services/{switch}", {"depends_on": [switch]}).status_code == 409
    r = admin_api.patch(f"services/{switch}", {"client": c.pk})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "client"


def test_users_and_tokens(admin_api, api_for):
    c = f.make_client()
    r = admin_api.post("users", {"username": "cu", "role": "client", "client": c.pk, "password": "a long enough passphrase"})
    assert r.status_code == 201 and r.json()["client"] == c.pk
    assert admin_api.post("users", {"username": "cu2", "role": "client"}).status_code == 422
    assert admin_api.post("users", {"username": "cu", "role": "dispatcher"}).status_code == 422
    assert admin_api.post("users", {"username": "x", "role": "wizard"}).status_code == 422
    me = admin_api.get("users/me").json()
    assert me["username"] == "admin" and me["role"] == "admin"
    made = admin_api.post("tokens", {"name": "ci", "scopes": ["read"]})
    assert made.status_code == 201
    raw = made.json()["token"]
    from tests.conftest import Api

    reader = Api(raw)
    assert reader.get("sites").status_code == 200
    assert reader.post("regions", {"code": "Z", "name": "Z"}).status_code == 403
    listed = admin_api.get("tokens").json()["items"]
    assert all("token" not in t for t in listed)
    assert admin_api.delete(f"tokens/{made.json()['id']}").status_code == 204
    assert reader.get("sites").status_code == 401
    assert admin_api.post("tokens", {"scopes": ["root"]}).status_code == 422


def test_role_permissions_are_enforced(api_for):
    engineer = api_for(f.make_user("engineer"))
    region = f.make_region()
    r = engineer.post("regions", {"code": "NEW", "name": "New"})
    assert r.status_code == 403 and "role" in r.json()["detail"]
    assert engineer.patch(f"regions/{region.pk}", {"name": "x"}).status_code == 403
    desk = api_for(f.make_user("service_desk"))
    assert desk.post("regions", {"code": "NEW", "name": "New"}).status_code == 201
    assert desk.post("users", {"username": "z", "role": "engineer"}).status_code == 403


def test_failed_write_leaves_no_timeline_entry(admin_api):
    before = Activity.objects.count()
    admin_api.post("sites", {"code": "x", "name": "x", "kind": "office", "region": 999, "time_zone": "UTC"})
    assert Activity.objects.count() == before


def test_notifications_inbox(admin_api, admin_user):
    from opsdesk.core import notify

    notify.notify([admin_user], "Access approved", "DC2 access is approved", "/sites/1/")
    items = admin_api.get("notifications").json()["items"]
    assert items[0]["title"] == "Access approved" and items[0]["read_at"] is None
    assert admin_api.post("notifications/read", {}).json() == {"count": 1}
    assert admin_api.get("notifications", unread=True).json()["count"] == 0


def test_list_endpoints_use_a_bounded_number_of_queries(admin_api, django_assert_max_num_queries):
    region = f.make_region()
    clients = [f.make_client() for _ in range(3)]
    for i in range(20):
        site = f.make_site(region=region, clients=clients[: 1 + i % 3])
        f.make_service(clients[0], sites=[site])
        eng = f.make_engineer(region)
        f.give_access(eng, site)
    for path in ("sites", "services", "engineers", "site-requirements", "clients", "users"):
        with django_assert_max_num_queries(10):
            assert admin_api.get(path, limit=50).status_code == 200


def test_calendar_only_token_cannot_use_the_api(api_for, admin_user):
    from tests.conftest import Api

    raw = f.make_token(admin_user, ["calendar"])
    assert Api(raw).get("sites").status_code == 401
    writer = f.make_token(admin_user, ["write"])
    assert Api(writer).get("sites").status_code == 200  # write implies read
