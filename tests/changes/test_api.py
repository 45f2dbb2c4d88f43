"""The change API contract: fields, bad input, transitions, approvals, collisions, risk, review, lists."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes import services
from tests import factories as f

from .helpers import NIGHT, OFFICE, force_state, make_change, plans, submit, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def e(api_for):
    client = f.make_client(name="Northgate Health")
    lon = f.make_site(code="lon-dc1", clients=[client])
    epr = f.make_service(client, sites=[lon], name="EPR", criticality=4)
    printing = f.make_service(client, sites=[lon], name="Print", criticality=1)
    owner, peer, ca = user("engineer"), user("engineer"), user("change_approver")
    client_user = user("client", client=client)
    return type("E", (), {
        "client": client, "lon": lon, "epr": epr, "print": printing, "owner": owner, "peer": peer, "ca": ca,
        "client_user": client_user, "api": api_for(owner), "peer_api": api_for(peer), "ca_api": api_for(ca),
        "client_api": api_for(client_user),
    })


def body(e, **kw):
    return {"type": "normal", "title": "Patch EPR", "services": [e.epr.pk], "sites": [e.lon.pk],
            "window_start": "2030-06-02T02:00:00+01:00", "window_end": "2030-06-02T04:00:00+01:00", **plans(), **kw}


def test_create_returns_the_documented_fields(e):
    r = e.api.post("changes", body(e))
    assert r.status_code == 201, r.content
    item = r.json()
    for name in ("id", "type", "title", "description", "services", "sites", "clients", "window_start", "window_end",
                 "implementation_plan", "verification_plan", "rollback_plan", "owner", "implementers", "team",
                 "state", "risk", "approvals", "outcome", "caused_incident", "lessons"):
        assert name in item, name
    assert item["state"] == "draft" and item["owner"] == e.owner.pk and item["clients"] == [e.client.pk]
    assert item["window_start"].startswith("2030-06-02T01:00:00")  # stored and answered in UTC
    assert item["local_windows"] == [{"site": e.lon.pk, "site_code": "lon-dc1", "time_zone": "Europe/London",
                                      "start": "2030-06-02T02:00:00+01:00", "end": "2030-06-02T04:00:00+01:00"}]
    assert item["rollback_plan"]["duration_minutes"] == 15
    assert set(item["risk"]) == {"level", "score", "components"}
    assert {"name", "points", "detail"} == set(item["risk"]["components"][0])
    assert item["risk"]["level"] == "medium"
    assert item["allowed_transitions"] == ["cancelled", "submitted"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_end": "2030-06-02T01:00:00+01:00"}, "window_end"),
        ({"window_start": "2030-06-02T02:00:00"}, "window_start"),
        ({"services": [999999]}, "services"),
        ({"sites": [999999]}, "sites"),
        ({"title": ""}, "title"),
        ({"type": "sideways"}, "type"),
        ({"rollback_plan": {"steps": "x", "trigger": "y", "duration_minutes": 0}}, "rollback_plan.duration_minutes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field(e, change, field):
    r = e.api.post("changes", body(e, **change))
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert field in {x["field"] for x in r.json()["errors"]}


def test_client_users_cannot_create_and_staff_cannot_name_invisible_objects(e):
    assert e.client_api.post("changes", body(e)).status_code == 403


def test_invalid_transition_is_409_with_the_allowed_states(e):
    cid = e.api.post("changes", body(e)).json()["id"]
    r = e.api.post(f"changes/{cid}/transitions", {"to": "implementing"})
    assert r.status_code == 409
    assert "draft" in r.json()["detail"] and "cancelled, submitted" in r.json()["detail"]
    assert e.api.post(f"changes/{cid}/transitions", {}).status_code == 422
    r = e.api.post(f"changes/{cid}/transitions", {"to": "submitted", "reason": "ready"})
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    timeline = e.api.get(f"changes/{cid}/timeline").json()["items"]
    assert timeline[-1]["summary"] == "State draft → submitted: ready"


def test_submission_without_a_rollback_plan_is_409(e):
    cid = e.api.post("changes", body(e, rollback_plan=None)).json()["id"]
    r = e.api.post(f"changes/{cid}/transitions", {"to": "submitted"})
    assert r.status_code == 409 and "rollback plan" in r.json()["detail"]


def test_approval_flow_through_the_api(e):
    cid = e.api.post("changes", body(e)).json()["id"]
    e.api.post(f"changes/{cid}/transitions", {"to": "submitted"})
    status = e.api.get(f"changes/{cid}/approvals").json()
    assert (status["required"], status["missing"], status["complete"]) == (
        ["a change approver"], ["a change approver"], False)
    own = e.api.post(f"changes/{cid}/approvals", {"capacity": "peer", "decision": "approved"})
    assert own.status_code == 403 and "own" in own.json()["detail"]
    assert e.peer_api.post(f"changes/{cid}/approvals", {"capacity": "change_approver",
                                                          "decision": "approved"}).status_code == 403
    assert e.peer_api.post(f"changes/{cid}/approvals", {}).status_code == 422
    r = e.ca_api.post(f"changes/{cid}/approvals", {"capacity": "change_approver", "decision": "approved",
                                                    "comment": "ok"})
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "approved" and r.json()["complete"] is True
    assert r.json()["decisions"][0]["approver"] == e.ca.pk
    assert e.api.get(f"changes/{cid}").json()["approvals"][0]["capacity"] == "change_approver"


def test_client_approver_for_a_high_risk_change(e, api_for):
    storage = f.make_service(e.client, sites=[e.lon], name="Storage array", criticality=4)
    f.depend(e.epr, storage)
    change = submit(make_change(e.owner, services_=[storage], start=OFFICE), e.owner)
    assert change.risk_level == "high"
    services.decide(change, e.ca, capacity="change_approver", decision="approved")
    services.decide(change, e.peer, capacity="peer", decision="approved")
    status = e.client_api.get(f"changes/{change.pk}/approvals").json()
    assert status["missing"] == ["a client approver for Northgate Health"]
    r = e.client_api.post(f"changes/{change.pk}/approvals", {"capacity": "client", "decision": "approved"})
    assert r.status_code == 201 and r.json()["state"] == "approved"


def test_collisions_and_risk_endpoints(e):
    a = submit(make_change(e.owner, services_=[e.epr], sites=[e.lon]), e.owner)
    b = make_change(e.owner, services_=[e.print], sites=[e.lon], start=NIGHT + dt.timedelta(minutes=30))
    found = e.api.get(f"changes/{b.pk}/collisions").json()
    assert found == [{"ref": f"changes.changerequest:{a.pk}", "kind": "change", "label": f"CHG-{a.pk} Patch",
                      "change": a.pk, "start_at": "2030-06-02T01:00:00Z", "end_at": "2030-06-02T03:00:00Z",
                      "state": "submitted", "reasons": ["same site lon-dc1"]}]
    risk = e.api.get(f"changes/{b.pk}/risk").json()
    assert {c["name"]: c["points"] for c in risk["components"]}["collisions"] == 5


def test_review_and_failure_rate(e):
    change = submit(make_change(e.owner, services_=[e.print], team="apps"), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    change = force_state(change, ["scheduled", "implementing", "completed"], e.owner)
    assert e.api.post(f"changes/{change.pk}/review", {"outcome": "failed", "lessons": "x"}).status_code == 422
    r = e.api.post(f"changes/{change.pk}/review", {"outcome": "successful", "caused_incident": True,
                                                    "lessons": "Stagger the restarts"})
    assert r.status_code == 200 and r.json()["state"] == "reviewed"
    rows = e.api.get("changes/failure-rate", by="team").json()
    assert rows == [{"key": "apps", "label": "apps", "implemented": 1, "failures": 1, "rate": 1.0}]
    assert e.api.get("changes/failure-rate", by="weather").status_code == 422


def test_patch_and_delete(e):
    cid = e.api.post("changes", body(e)).json()["id"]
    r = e.api.patch(f"changes/{cid}", {"title": "Patch EPR (v2)", "services": [e.print.pk]})
    assert r.status_code == 200 and r.json()["title"] == "Patch EPR (v2)" and r.json()["services"] == [e.print.pk]
    assert r.json()["risk"]["level"] == "low"
    assert e.api.patch(f"changes/{cid}", {"window_end": "2030-06-01T00:00:00+00:00"}).status_code == 422
    assert e.client_api.patch(f"changes/{cid}", {"title": "mine"}).status_code == 403
    e.api.post(f"changes/{cid}/transitions", {"to": "submitted"})
    assert e.api.delete(f"changes/{cid}").status_code == 409
    draft = e.api.post("changes", body(e)).json()["id"]
    assert e.api.delete(f"changes/{draft}").status_code == 204
    assert e.api.get(f"changes/{draft}").status_code == 404


def test_list_filters_order_and_tenancy(e):
    other_client = f.make_client()
    other_site = f.make_site(clients=[other_client], code="nyc-dc9")
    late = make_change(e.owner, services_=[e.epr], start=NIGHT + dt.timedelta(days=2), title="late")
    early = submit(make_change(e.owner, services_=[e.print], title="early"), e.owner)
    elsewhere = make_change(e.owner, sites=[other_site], title="elsewhere", start=NIGHT + dt.timedelta(days=1))
    ids = [c["id"] for c in e.api.get("changes").json()["items"]]
    assert ids == [early.pk, elsewhere.pk, late.pk]
    assert [c["id"] for c in e.api.get("changes", state="submitted").json()["items"]] == [early.pk]
    assert [c["id"] for c in e.api.get("changes", risk_level="medium").json()["items"]] == [late.pk]
    assert [c["id"] for c in e.api.get("changes", site=other_site.pk).json()["items"]] == [elsewhere.pk]
    assert [c["id"] for c in e.api.get("changes", service=e.epr.pk).json()["items"]] == [late.pk]
    assert [c["id"] for c in e.api.get("changes", client=other_client.pk).json()["items"]] == [elsewhere.pk]
    assert [c["id"] for c in e.api.get("changes", region=other_site.region.code).json()["items"]] == [elsewhere.pk]
    window = {"window_from": "2030-06-03T00:00:00Z", "window_to": "2030-06-03T02:00:00Z"}
    assert [c["id"] for c in e.api.get("changes", **window).json()["items"]] == [elsewhere.pk]
    assert {c["id"] for c in e.client_api.get("changes").json()["items"]} == {early.pk, late.pk}
    assert e.client_api.get(f"changes/{elsewhere.pk}").status_code == 404


def test_list_uses_a_bounded_number_of_queries(e, django_assert_max_num_queries):
    for i in range(15):
        change = make_change(e.owner, services_=[e.epr, e.print], start=NIGHT + dt.timedelta(hours=3 * i))
        if i % 3 == 0:
            services.decide(submit(change, e.owner), e.peer, capacity="peer", decision="approved")
    # 11: one of them is the token throttle's lockout check (constant per request, not per row).
    with django_assert_max_num_queries(11):
        r = e.api.get("changes", limit=50)
    assert r.status_code == 200 and r.json()["count"] == 15
