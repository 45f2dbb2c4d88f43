"""GET /api/v1/sites/{id}/business-time: the site's calendar from outside, tenant-scoped, problem details."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api_for):
    """A London site (Mon-Fri 08-18, England's bank holidays) of client A, and users around it."""
    a, b = f.make_client(), f.make_client()
    london = f.make_site(clients=[a], time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    new_york = f.make_site(clients=[a], time_zone="America/New_York", holiday_country="US", holiday_subdivision="",
                           business_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    return {
        "london": london.pk,
        "new_york": new_york.pk,
        "staff": api_for(f.make_user("service_desk", password=None)),
        "client_a": api_for(f.make_user("client", client=a, password=None)),
        "client_b": api_for(f.make_user("client", client=b, password=None)),
    }


def _url(site_id: int) -> str:
    return f"sites/{site_id}/business-time"


def test_business_seconds_between_two_instants(world):
    # Fri 16:00 GMT to Mon 10:00 BST over London's spring-forward weekend: 2 h + 2 h
    r = world["staff"].get(_url(world["london"]), start="2026-03-27T16:00:00Z", end="2026-03-30T10:00:00+01:00")
    assert r.status_code == 200, r.content
    assert r.json() == {"business_seconds": 4 * 3600}
    # Christmas and Boxing Day (observed, Mon 28): Thu 24 12-18 and Tue 29 08-12
    r = world["staff"].get(_url(world["london"]), start="2026-12-24T12:00:00Z", end="2026-12-29T12:00:00Z")
    assert r.json() == {"business_seconds": 10 * 3600}
    r = world["staff"].get(_url(world["london"]), start="2026-03-30T10:00:00.250+01:00", end="2026-03-30T10:00:01+01:00")
    assert r.json() == {"business_seconds": 0.75}


def test_due_instant_in_the_sites_offset(world):
    r = world["staff"].get(_url(world["london"]), start="2026-03-27T17:00:00+00:00", add_seconds=2 * 3600)
    assert r.status_code == 200, r.content
    assert r.json() == {"due": "2026-03-30T09:00:00+01:00"}
    # given in UTC, answered in New York time: Thanksgiving (Thu 26 Nov) skipped
    r = world["staff"].get(_url(world["new_york"]), start="2026-11-25T21:00:00Z", add_seconds=2 * 3600)
    assert r.json() == {"due": "2026-11-27T10:00:00-05:00"}
    r = world["staff"].get(_url(world["london"]), start="2026-03-28T12:00:00Z", add_seconds=0)
    assert r.json() == {"due": "2026-03-28T12:00:00Z"}  # London in winter: offset zero


def test_client_users_of_the_site_may_ask_others_get_404(world):
    params = {"start": "2026-03-27T16:00:00Z", "end": "2026-03-30T10:00:00+01:00"}
    assert world["client_a"].get(_url(world["london"]), **params).json() == {"business_seconds": 4 * 3600}
    r = world["client_b"].get(_url(world["london"]), **params)
    assert r.status_code == 404
    assert r["Content-Type"] == "application/problem+json"
    # another client's site is not found before its parameters are checked
    assert world["client_b"].get(_url(world["london"])).status_code == 404
    assert world["staff"].get(_url(987654), **params).status_code == 404


def test_needs_authentication(world, anon_api):
    r = anon_api.get(_url(world["london"]), start="2026-03-27T16:00:00Z", end="2026-03-30T10:00:00Z")
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "start"),
        ({"end": "2026-03-30T10:00:00Z"}, "start"),
        ({"start": "2026-03-27T16:00:00Z"}, "end"),
        ({"start": "2026-03-27T16:00:00Z", "end": "2026-03-30T10:00:00Z", "add_seconds": 60}, "add_seconds"),
        ({"start": "2026-03-27T16:00:00", "end": "2026-03-30T10:00:00Z"}, "start"),  # no offset
        ({"start": "2026-03-27T16:00:00Z", "end": "2026-03-30T10:00:00"}, "end"),
        ({"start": "2026-03-30T10:00:00Z", "end": "2026-03-27T16:00:00Z"}, "end"),  # before start
        ({"start": "next tuesday", "end": "2026-03-30T10:00:00Z"}, "start"),
        ({"start": "2026-02-30T10:00:00Z", "end": "2026-03-30T10:00:00Z"}, "start"),
        ({"start": "2026-03-27T16:00:00 01:00", "end": "2026-03-30T10:00:00Z"}, "start"),  # an unencoded +
        ({"start": "1800-01-01T00:00:00Z", "end": "2026-03-30T10:00:00Z"}, "start"),
        ({"start": "2026-03-27T16:00:00+25:00", "end": "2026-03-30T10:00:00Z"}, "start"),
        ({"start": "2026-03-27T16:00:00Z", "add_seconds": -1}, "add_seconds"),
        ({"start": "2026-03-27T16:00:00Z", "add_seconds": 10**12}, "add_seconds"),
        ({"start": "2026-03-27T16:00:00Z", "add_seconds": 1.5}, "add_seconds"),
        ({"start": "2026-03-27T16:00:00Z", "add_seconds": "soon"}, "add_seconds"),
    ],
)
def test_bad_input_is_a_problem_detail(world, params, field):
    r = world["staff"].get(_url(world["london"]), **params)
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["detail"]
    assert field in {e["field"] for e in body["errors"]}, body


def test_a_due_instant_beyond_the_supported_years_is_a_problem_detail(world, admin_api):
    closed = f.make_site(business_hours={})
    r = admin_api.get(_url(closed.pk), start="2026-03-27T16:00:00Z", add_seconds=60)
    assert r.status_code == 422 and "no business hours" in r.json()["detail"]
    assert admin_api.get(_url(closed.pk), start="2026-03-27T16:00:00Z", end="2026-03-30T10:00:00Z").json() == {
        "business_seconds": 0
    }
    # the last supported year: ten years of seconds are not there before 2300 in a 4-hour week
    sparse = f.make_site(business_hours={"sun": [["00:00", "04:00"]]}, holiday_country="")
    r = admin_api.get(_url(sparse.pk), start="2199-12-31T00:00:00Z", add_seconds=10 * 365 * 86400)
    assert r.status_code == 422 and "2299" in r.json()["detail"]
