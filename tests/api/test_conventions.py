"""API conventions that every later capability relies on."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from opsdesk.sites.models import Site
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_openapi_document_validates(admin_api):
    r = admin_api.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = json.loads(r.content)
    validate(doc)
    for path in ("/api/v1/sites", "/api/v1/regions", "/api/v1/clients", "/api/v1/engineers",
                 "/api/v1/services", "/api/v1/users", "/api/v1/site-requirements"):
        assert path in doc["paths"], path


def test_interactive_docs_are_served(admin_user, client):
    client.force_login(admin_user)
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert b"openapi.json" in r.content


def test_lists_are_paginated_with_items_and_count(admin_api):
    region = f.make_region(code="EMEA")
    for _ in range(7):
        f.make_site(region=region)
    r = admin_api.get("sites", limit=3, offset=2)
    body = r.json()
    assert r.status_code == 200
    assert body["count"] == 7
    assert len(body["items"]) == 3
    all_codes = [s["code"] for s in admin_api.get("sites", limit=50).json()["items"]]
    assert [s["code"] for s in body["items"]] == all_codes[2:5]


def test_site_carries_the_documented_fields(admin_api):
    client = f.make_client()
    site = f.make_site(clients=[client], time_zone="Asia/Kolkata", holiday_country="IN", holiday_subdivision="")
    item = admin_api.get(f"sites/{site.pk}").json()
    for field in ("id", "code", "name", "kind", "region", "time_zone", "holiday_country",
                  "holiday_subdivision", "latitude", "longitude", "business_hours", "clients"):
        assert field in item, field
    assert item["region"] == site.region_id
    assert item["clients"] == [client.pk]
    assert item["business_hours"]["mon"] == [["08:00", "18:00"]]
    assert item["business_hours"]["sun"] == []
    assert item["local_time"].endswith("+05:30")


def test_timestamps_are_iso_8601_with_offset(admin_api):
    site = f.make_site()
    item = admin_api.get(f"sites/{site.pk}").json()
    assert item["created_at"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"code": "x", "name": "x", "kind": "data_centre", "region": "abc", "time_zone": "UTC"}, 422, "region"),
        ({"code": "x", "name": "x", "kind": "data_centre", "region": 999999, "time_zone": "UTC"}, 422, "region"),
        ({"code": "x", "name": "x", "kind": "submarine", "region": 1, "time_zone": "UTC"}, 422, "kind"),
        ({"code": "x", "name": "x", "kind": "office", "region": None, "time_zone": "Mars/Olympus"}, 422, "region"),
        ({"code": "x", "name": "x", "kind": "office", "time_zone": "UTC"}, 422, "region"),
        ({"code": "bad code!", "name": "x", "kind": "office", "region": 1, "time_zone": "UTC"}, 422, "code"),
        ({"code": "x", "name": "x", "kind": "office", "region": 1, "time_zone": "UTC", "latitude": 123}, 422, "latitude"),
    ],
)
def test_bad_site_input_gets_problem_details_and_changes_nothing(admin_api, body, status, field):
    region = f.make_region()
    if body.get("region") == 1:
        body["region"] = region.pk
    before = Site.objects.count()
    r = admin_api.post("sites", body)
    assert r.status_code == status
    assert r["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert field in {e["field"] for e in problem["errors"]}
    assert Site.objects.count() == before


def test_invalid_time_zone_is_a_field_error(admin_api):
    region = f.make_region()
    r = admin_api.post("sites", {"code": "x", "name": "x", "kind": "office", "region": region.pk,
                                 "time_zone": "Europe/Atlantis"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "time_zone"
    assert "IANA" in r.json()["detail"]


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["18:00", "08:00"]]},
        {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"funday": []},
        {"mon": [["8am", "5pm"]]},
        {"mon": "all day"},
    ],
)
def test_invalid_business_hours_are_refused(admin_api, hours):
    site = f.make_site()
    r = admin_api.patch(f"sites/{site.pk}", {"business_hours": hours})
    assert r.status_code == 422, r.content
    site.refresh_from_db()
    assert site.business_hours["mon"] == [["08:00", "18:00"]]


def test_malformed_json_is_400(admin_api):
    r = admin_api.post("regions", raw="{not json")
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert "JSON" in r.json()["detail"]


def test_oversized_body_is_413(admin_api):
    r = admin_api.post("regions", raw="x" * (600 * 1024))
    assert r.status_code == 413
    assert r.json()["status"] == 413


def test_unknown_object_is_404_problem(admin_api):
    r = admin_api.get("sites/987654")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/problem+json"


def test_limit_above_maximum_is_422(admin_api):
    assert admin_api.get("sites", limit=100000).status_code == 422
    assert admin_api.get("sites", offset=-1).status_code == 422


def test_wrong_query_type_is_422(admin_api):
    r = admin_api.get("sites", client="not-a-number")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "client"


def test_deleting_something_in_use_is_409_and_keeps_it(admin_api):
    region = f.make_region()
    f.make_site(region=region)
    r = admin_api.delete(f"regions/{region.pk}")
    assert r.status_code == 409
    assert "sites" in r.json()["detail"]
    assert admin_api.get(f"regions/{region.pk}").status_code == 200


def test_unauthenticated_requests_get_401(anon_api):
    r = anon_api.get("sites")
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == "Bearer"
    assert anon_api.get("/api/v1/openapi.json").status_code == 200


def test_garbage_bearer_token_gets_401(db):
    from tests.conftest import Api

    for token in ("nope", "odk_" + "a" * 43, "odk_" + "x" * 500):
        assert Api(token).get("sites").status_code == 401


@pytest.mark.parametrize("value", ["0160-02-21T03:38:55+23:31", "2026-01-01T00:00:00", "2026-01-01T00:00:00+15:00"])
def test_instants_from_input_are_bounded(admin_api, value):
    r = admin_api.get("changes", window_from=value)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "window_from"
