"""Heartbeats over the API: staff manage them under integrations; senders ping them with the key."""

from __future__ import annotations

import pytest

from opsdesk.alerts.heartbeats.models import Heartbeat
from opsdesk.core.models import Activity
from tests import factories as f
from tests.alerts import factories as af
from tests.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(admin_api):
    client = f.make_client()
    service = f.make_service(client)
    integration, key = af.make_integration("generic", client=client)
    made = admin_api.post(f"integrations/{integration.pk}/heartbeats", {
        "name": "Nightly <b>backup</b>", "slug": "nightly", "interval_minutes": 60, "grace_minutes": 10,
        "service": service.pk, "labels": {"team": "storage"}})
    assert made.status_code == 201, made.content
    return {"integration": integration, "key": key, "service": service, "heartbeat": made.json(), "client": client}


def test_create_list_change_and_delete(setup, admin_api) -> None:
    hb = setup["heartbeat"]
    assert (hb["state"], hb["interval_minutes"], hb["grace_minutes"], hb["severity"], hb["service"]) == (
        "new", 60, 10, "critical", setup["service"].pk)
    assert hb["last_ping_at"] is None and hb["due_at"] is None
    listed = admin_api.get(f"integrations/{setup['integration'].pk}/heartbeats").json()
    assert [i["slug"] for i in listed["items"]] == ["nightly"]
    assert admin_api.get("heartbeats", state="new").json()["count"] == 1
    assert admin_api.get("heartbeats", state="down").json()["count"] == 0
    changed = admin_api.patch(f"heartbeats/{hb['id']}", {"interval_minutes": 15})
    assert changed.status_code == 200 and changed.json()["interval_minutes"] == 15
    assert admin_api.delete(f"heartbeats/{hb['id']}").status_code == 204
    assert not Heartbeat.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("header", ["bearer", "x-opsdesk-key"])
def test_a_ping_with_the_key_is_recorded(setup, method, header) -> None:
    headers = ({"HTTP_AUTHORIZATION": f"Bearer {setup['key']}"} if header == "bearer"
               else {"HTTP_X_OPSDESK_KEY": setup["key"]})
    api = Api(None)
    answer = getattr(api.http, method)("/api/v1/heartbeats/nightly/ping", **headers)
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "up" and answer.json()["due_at"]
    assert Heartbeat.objects.get().pings == 1


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"HTTP_AUTHORIZATION": "Bearer odi_wrong"}, 404),
    ({"HTTP_X_OPSDESK_KEY": "odi_wrong"}, 404),
])
def test_a_ping_without_the_right_key_writes_nothing(setup, headers, status) -> None:
    answer = Api(None).http.post("/api/v1/heartbeats/nightly/ping", **headers)
    assert answer.status_code == status and answer["Content-Type"] == "application/problem+json"
    assert Heartbeat.objects.get().pings == 0


def test_a_ping_of_an_unknown_slug_or_with_a_bad_slug_is_refused(setup) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {setup['key']}"}
    assert Api(None).http.get("/api/v1/heartbeats/other/ping", **headers).status_code == 404
    assert Api(None).http.get("/api/v1/heartbeats/no%20spaces/ping", **headers).status_code == 422
    assert Heartbeat.objects.get().pings == 0


def test_an_api_token_is_not_an_integration_key(setup, admin_api) -> None:
    assert admin_api.get("/api/v1/heartbeats/nightly/ping").status_code == 404
    assert Heartbeat.objects.get().pings == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "slug": "has space"}, "slug"),
    ({"name": "X", "slug": "x", "interval_minutes": 0}, "interval_minutes"),
    ({"name": "X", "slug": "x", "grace_minutes": 99_999}, "grace_minutes"),
    ({"name": "X", "slug": "x", "severity": "loud"}, "severity"),
    ({"name": "X", "slug": "x", "unknown": 1}, "unknown"),
    ({"slug": "x"}, "name"),
])
def test_bad_input_is_a_422_naming_the_field(setup, admin_api, body, field) -> None:
    answer = admin_api.post(f"integrations/{setup['integration'].pk}/heartbeats", body)
    assert answer.status_code == 422, answer.content
    assert field in answer.content.decode()
    assert Heartbeat.objects.count() == 1


def test_a_second_heartbeat_with_the_same_slug_is_refused(setup, admin_api) -> None:
    answer = admin_api.post(f"integrations/{setup['integration'].pk}/heartbeats", {"name": "Again", "slug": "nightly"})
    assert answer.status_code in (409, 422) and answer["Content-Type"] == "application/problem+json"
    assert Heartbeat.objects.count() == 1


def test_a_service_of_another_client_is_refused(setup, admin_api) -> None:
    foreign = f.make_service(f.make_client())
    answer = admin_api.patch(f"heartbeats/{setup['heartbeat']['id']}", {"service": foreign.pk})
    assert answer.status_code == 422 and "service" in answer.content.decode()
    assert Heartbeat.objects.get().service == setup["service"]


def test_client_users_neither_see_nor_manage_heartbeats(setup, api_for) -> None:
    api = api_for(f.make_user("client", client=setup["client"]), ["read", "write"])
    assert api.get("heartbeats").json()["count"] == 0
    assert api.get(f"heartbeats/{setup['heartbeat']['id']}").status_code == 404
    assert api.post(f"integrations/{setup['integration'].pk}/heartbeats", {"name": "X", "slug": "x"}).status_code in (
        403, 404)
    assert Heartbeat.objects.count() == 1


def test_engineers_may_read_but_not_write(setup, api_for) -> None:
    api = api_for(f.make_user("engineer"), ["read", "write"])
    assert api.get(f"heartbeats/{setup['heartbeat']['id']}").status_code == 200
    assert api.patch(f"heartbeats/{setup['heartbeat']['id']}", {"name": "Mine"}).status_code == 403
    assert not Activity.objects.filter(verb="updated", content_type__model="heartbeat").exists()
