"""The check-in and check-out endpoints' new fields: a reason outside the window, the device's
location and its distance flag, and a not-completed check-out's reason."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.sites.models import Site
from opsdesk.workorders import services
from opsdesk.workorders.models import Visit, WorkOrder
from tests.workorders.builders import END, NOW, START, H, arrange, make, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(api_for):
    w = world()
    Site.objects.filter(pk=w["site"].pk).update(latitude=51.5074, longitude=-0.1278)
    w["engineer_api"] = api_for(w["engineer_user"])
    w["dispatch_api"] = api_for(w["dispatcher"])
    return w


def _dispatched(w):
    wo = make(w, "readiness")
    arrange(w, wo)
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = services.transition_work_order(wo, to, actor=w["dispatcher"], reason="go")
    return wo


def test_check_in_too_early_is_422_naming_the_window_then_accepted_with_a_reason_and_location(w):
    wo = _dispatched(w)
    url = f"work-orders/{wo.pk}/check-in"
    with clock.frozen(START - dt.timedelta(days=3)):
        r = w["engineer_api"].post(url, {})
        assert r.status_code == 422, r.content
        problem = r.json()
        assert problem["errors"][0]["field"] == "reason"
        assert "Tue 04 Jun 2030 10:00–12:00 BST (Europe/London)" in problem["detail"]
        assert "30 min early, 60 min late" in problem["detail"]
        assert WorkOrder.objects.get(pk=wo.pk).state == "dispatched"
        r = w["engineer_api"].post(url, {"reason": "Site asked us to come early", "latitude": 51.5164,
                                         "longitude": -0.1278, "accuracy_m": 20})
    assert r.status_code == 200, r.content
    [visit] = r.json()["work_order"]["visits"]
    assert visit["outside_window"] and visit["minutes_early"] == 3 * 24 * 60 - 30
    assert visit["outside_window_reason"] == "Site asked us to come early"
    assert visit["far_from_site"] and round(visit["distance_m"]) == 1001 and visit["radius_m"] == 500
    # The dispatcher sees the flag on the work order.
    seen = w["dispatch_api"].get(f"work-orders/{wo.pk}").json()["visits"][0]
    assert seen["far_from_site"] and seen["outside_window_reason"] == "Site asked us to come early"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 51.5}, "longitude"),
        ({"accuracy_m": -1, "latitude": 51.5, "longitude": 0}, "accuracy_m"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_check_in_with_bad_fields_is_422_and_changes_nothing(w, payload, field):
    wo = _dispatched(w)
    with clock.frozen(START):
        r = w["engineer_api"].post(f"work-orders/{wo.pk}/check-in", payload)
    assert r.status_code == 422, r.content
    assert field in r.content.decode()
    assert WorkOrder.objects.get(pk=wo.pk).state == "dispatched" and not Visit.objects.exists()


def test_check_out_not_completed_needs_a_known_reason_and_holds_the_work(w):
    wo = _dispatched(w)
    url = f"work-orders/{wo.pk}/check-out"
    with clock.frozen(START):
        assert w["engineer_api"].post(f"work-orders/{wo.pk}/check-in", {}).status_code == 200
    with clock.frozen(START + H):
        r = w["engineer_api"].post(url, {"outcome": "not_completed"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "failure_reason"
        r = w["engineer_api"].post(url, {"outcome": "not_completed", "failure_reason": "other"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "failure_note"
        r = w["engineer_api"].post(url, {"outcome": "not_completed", "failure_reason": "bored"})
        assert r.status_code == 422
        assert WorkOrder.objects.get(pk=wo.pk).state == "on_site"
        r = w["engineer_api"].post(url, {"outcome": "not_completed", "failure_reason": "client_not_ready",
                                         "failure_note": "Rack still being installed"})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "on_hold" and out["checked_out_at"]
    [visit] = out["visits"]
    assert (visit["outcome"], visit["failure_reason"], visit["failure_note"]) == (
        "not_completed", "client_not_ready", "Rack still being installed")
    with clock.frozen(END):
        assert w["engineer_api"].post(url, {"outcome": "not_completed", "failure_reason": "no_access"}).status_code == 409
