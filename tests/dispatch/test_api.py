"""Dispatch API contract: build, read, adjust and accept a plan; bad input; staff only; explanations."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.dispatch.models import Plan
from opsdesk.workorders.models import WorkOrder
from tests import factories as f
from tests.dispatch.builders import NOW, ready, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(api_for, settings):
    settings.OPSDESK_DISPATCH_SECONDS = 0.3
    w = world()
    w["api"] = api_for(w["dispatcher"])
    w["client_api"] = api_for(w["client_user"])
    w["desk_api"] = api_for(w["desk"])
    return w


def test_build_read_adjust_accept(w):
    a = ready(w, "Splice fibre", "09:00", "12:00")
    b = ready(w, "Patch copper", "13:00", "16:00", skill="copper")
    with clock.frozen(NOW):
        r = w["api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04", "seconds": 0.2})
        assert r.status_code == 201, r.content
        plan = r.json()
        assert set(plan) >= {"id", "region", "day", "routes", "unassigned", "checker"}
        assert plan["checker"] == {"ok": True, "violations": []}
        stops = {s["work_order"]: (route["engineer"], s) for route in plan["routes"] for s in route["stops"]}
        assert set(stops) == {a.pk, b.pk}
        engineer, stop = stops[a.pk]
        assert set(stop) >= {"work_order", "arrival", "start", "finish", "travel_minutes"}
        assert dt.datetime.fromisoformat(stop["start"]).tzinfo is not None
        assert w["api"].get(f"dispatch/plans/{plan['id']}").json()["routes"] == plan["routes"]
        listed = w["api"].get("dispatch/plans", region=w["region"].code).json()["items"]
        assert [p["id"] for p in listed] == [plan["id"]] and listed[0]["ok"] is True
        # Dragging fibre work onto Cy (copper only) is answered with the checker's verdict, not saved.
        dry = w["api"].post(f"dispatch/plans/{plan['id']}/moves", {"work_order": a.pk, "engineer": w["Cy"].pk, "dry_run": True})
        assert dry.status_code == 200
        assert dry.json()["checker"]["ok"] is False
        assert dry.json()["checker"]["violations"][0]["kind"] == "not_eligible"
        refused = w["api"].post(f"dispatch/plans/{plan['id']}/moves", {"work_order": a.pk, "engineer": w["Cy"].pk})
        assert refused.status_code == 409 and refused["Content-Type"] == "application/problem+json"
        assert "not eligible" in refused.json()["detail"]
        accepted = w["api"].post(f"dispatch/plans/{plan['id']}/accept")
        assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert WorkOrder.objects.get(pk=a.pk).state == "dispatched"
    assert WorkOrder.objects.get(pk=a.pk).engineer_id == engineer


@pytest.mark.parametrize("body, field", [
    ({"region": "", "day": "2030-06-04"}, "region"),
    ({"region": "X", "day": "June"}, "day"),
    ({"region": "X", "day": "2030-06-04", "seconds": 0}, "seconds"),
    ({"region": "X", "day": "2030-06-04", "seconds": 1e9}, "seconds"),
    ({"day": "2030-06-04"}, "region"),
])
def test_bad_input_is_422_and_changes_nothing(w, body, field):
    r = w["api"].post("dispatch/plans", body)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert field in r.content.decode()
    assert not Plan.objects.exists()


def test_unknown_region_and_plan_are_404(w):
    assert w["api"].post("dispatch/plans", {"region": "nowhere", "day": "2030-06-04"}).status_code == 404
    assert w["api"].get("dispatch/plans/999999").status_code == 404
    assert w["api"].post("dispatch/plans/999999/accept").status_code == 404


def test_move_needs_a_work_order(w):
    with clock.frozen(NOW):
        plan = w["api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).json()
    r = w["api"].post(f"dispatch/plans/{plan['id']}/moves", {"engineer": w["Ann"].pk})
    assert r.status_code == 422 and "work_order" in r.content.decode()


def test_staff_only(w):
    with clock.frozen(NOW):
        plan = w["api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).json()
    assert w["client_api"].get(f"dispatch/plans/{plan['id']}").status_code == 404
    assert w["client_api"].get("dispatch/plans").status_code == 403
    assert w["client_api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).status_code == 403
    assert w["desk_api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).status_code == 403
    assert w["client_api"].post(f"dispatch/plans/{plan['id']}/accept").status_code == 404
    assert Plan.objects.get(pk=plan["id"]).state == "proposed"


def test_eligibility_explains_each_kind_of_ineligibility(w):
    """GET /work-orders/{id}/eligibility: every engineer, with each reason in words."""
    site = w["north"]
    f.make_requirement(site, kind="induction", description="Site induction", lead_time_hours=0)
    wo = ready(w, "Fibre needing SMSTS", "16:30", "18:30", state="readiness")  # an hour; the shift ends 17:00
    cert = f.give_certification(w["Ann"], "smsts", expires_on=dt.date(2030, 6, 1))
    wo.required_certifications.add(cert.certification)
    f.give_access(w["Ann"], site, kind="induction")
    verdicts = {v["name"]: v for v in w["api"].get(f"work-orders/{wo.pk}/eligibility").json()}
    ann, bob, cy = verdicts["Ann"]["reasons"], verdicts["Bob"]["reasons"], verdicts["Cy"]["reasons"]
    assert any("certification SMSTS expires on 2030-06-01" in r for r in ann)
    assert any(r.startswith("shift ends before the window") for r in ann)
    assert "missing certification SMSTS" in bob and f"no induction at {site.code}" in bob
    assert "missing skill Fibre" in cy
    assert not any(v["eligible"] for v in verdicts.values())


def test_an_absence_over_the_api_and_the_replan_that_follows(w):
    jobs = [ready(w, f"Fibre {i}", "09:00", "16:00", minutes=90) for i in range(3)]
    with clock.frozen(NOW):
        plan = w["api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).json()
        assert w["api"].post(f"dispatch/plans/{plan['id']}/accept").status_code == 200
        busy = next(r["engineer"] for r in plan["routes"] if r["stops"])
        r = w["api"].post(f"engineers/{busy}/absences", {"start_at": "2030-06-04T00:00:00+01:00",
                                                         "end_at": "2030-06-05T00:00:00+01:00", "reason": "sick"})
        assert r.status_code == 201 and r.json()["engineer"] == busy
        assert [a["reason"] for a in w["api"].get(f"engineers/{busy}/absences").json()] == ["sick"]
        replanned = w["api"].post("dispatch/plans", {"region": w["region"].code, "day": "2030-06-04"}).json()
    assert replanned["based_on"] == plan["id"] and replanned["checker"]["ok"]
    theirs = {s["work_order"] for r in plan["routes"] if r["engineer"] == busy for s in r["stops"]}
    assert {m["work_order"] for m in replanned["moved"]} == theirs
    assert all(m["from_engineer"] == busy and m["to_engineer"] != busy for m in replanned["moved"])
    assert len(jobs) == 3


@pytest.mark.parametrize("body, field", [
    ({}, "start_at"),
    ({"start_at": "2030-06-04T10:00:00Z"}, "end_at"),
    ({"start_at": "2030-06-04T10:00:00Z", "end_at": "2030-06-04T09:00:00Z"}, "end_at"),
    ({"start_at": "2030-06-04T10:00:00", "end_at": "2030-06-04T12:00:00Z"}, "start_at"),
    ({"start_at": "2030-06-04T10:00:00Z", "end_at": "2032-06-04T12:00:00Z"}, "end_at"),
])
def test_absence_bad_input_is_422_and_records_nothing(w, body, field):
    r = w["api"].post(f"engineers/{w['Ann'].pk}/absences", body)
    assert r.status_code == 422 and field in r.content.decode()
    assert not w["Ann"].absences.exists()


def test_absences_are_staff_only(w):
    assert w["client_api"].post(f"engineers/{w['Ann'].pk}/absences", {}).status_code == 404
    assert w["client_api"].get(f"engineers/{w['Ann'].pk}/absences").status_code == 404
    body = {"start_at": "2030-06-04T10:00:00Z", "end_at": "2030-06-04T12:00:00Z"}
    assert w["desk_api"].post(f"engineers/{w['Ann'].pk}/absences", body).status_code == 403
    assert not w["Ann"].absences.exists()
