"""SLA API: an object's clocks under the object's own tenant rules; policies, validated, for admins."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.incidents import services as incident_services
from opsdesk.slas import services
from opsdesk.slas.models import SlaPolicy
from tests import factories as f
from tests.workorders.builders import make, world

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2030, 5, 20, 9, tzinfo=dt.UTC)


@pytest.fixture
def w():
    w = world()
    w["policy"] = services.create_policy(
        {"name": "Alpha P2", "applies_to": "work_order", "client": w["client"].pk, "level": "p2",
         "response_minutes": 60, "onsite_minutes": 480, "resolution_minutes": 960}, actor=None)
    w["wo"] = make(w, "submitted", priority="p2")
    w["other"] = f.make_client(name="Beta Bank")
    w["other_user"] = f.make_user("client", client=w["other"])
    return w


def _sla(api, path, now):
    with clock.frozen(now):
        return api.get(path)


def test_staff_and_the_clients_user_see_the_work_orders_clocks(w, admin_api, api_for):
    later = NOW + dt.timedelta(minutes=50)
    for api in (admin_api, api_for(w["client_user"])):
        r = _sla(api, f"work-orders/{w['wo'].pk}/sla", later)
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["policy"] == {"id": w["policy"].pk, "name": "Alpha P2"}
        assert (body["business_hours"], body["time_zone"]) == (True, "Europe/London")
        response = {t["target"]: t for t in body["targets"]}["response"]
        assert (response["status"], response["elapsed_minutes"], response["remaining_minutes"]) == ("at_risk", 50, 10)
        assert response["due_at"].startswith("2030-05-20T10:00:00") and response["stopped_at"] is None
        assert [t["target"] for t in body["targets"]] == ["response", "onsite", "resolution"]


def test_another_clients_user_gets_404(w, api_for):
    r = _sla(api_for(w["other_user"]), f"work-orders/{w['wo'].pk}/sla", NOW)
    assert r.status_code == 404 and r["Content-Type"] == "application/problem+json"
    assert _sla(api_for(w["other_user"]), "work-orders/999999/sla", NOW).status_code == 404


def test_work_order_without_policy_has_null_policy(w, admin_api):
    wo = make(w, "submitted", priority="p4")
    body = _sla(admin_api, f"work-orders/{wo.pk}/sla", NOW).json()
    assert body["policy"] is None and body["targets"] == []


def test_incident_sla_follows_the_incident_tenancy(w, admin_api, api_for):
    services.create_policy({"name": "SEV1", "applies_to": "incident", "level": "sev1", "response_minutes": 15,
                            "resolution_minutes": 240, "business_hours": False}, actor=None)
    commander = f.make_user("incident_commander")
    with clock.frozen(NOW):
        incident = incident_services.declare_incident(
            {"title": "Alpha down", "severity": "sev1", "services": [w["service"].pk]}, actor=commander)
    body = _sla(admin_api, f"incidents/{incident.pk}/sla", NOW + dt.timedelta(minutes=20)).json()
    assert body["policy"]["name"] == "SEV1"
    assert {t["target"]: t["status"] for t in body["targets"]} == {"response": "breached", "resolution": "running"}
    assert _sla(api_for(w["other_user"]), f"incidents/{incident.pk}/sla", NOW).status_code == 404


def test_policies_list_is_scoped_for_client_users(w, admin_api, api_for):
    default = services.create_policy({"name": "Default P3", "applies_to": "work_order", "level": "p3",
                                      "response_minutes": 120, "resolution_minutes": 2400}, actor=None)
    others = services.create_policy({"name": "Beta P2", "applies_to": "work_order", "client": w["other"].pk,
                                     "level": "p2", "response_minutes": 30, "resolution_minutes": 480}, actor=None)
    assert {p["id"] for p in admin_api.get("sla/policies").json()["items"]} == {w["policy"].pk, default.pk, others.pk}
    own = api_for(w["client_user"])
    page = own.get("sla/policies").json()
    assert {p["id"] for p in page["items"]} == {w["policy"].pk, default.pk} and page["count"] == 2
    assert own.get(f"sla/policies/{others.pk}").status_code == 404
    assert own.post("sla/policies", {"name": "x", "applies_to": "work_order", "level": "p1", "response_minutes": 1,
                                     "resolution_minutes": 2}).status_code == 403
    assert own.patch(f"sla/policies/{w['policy'].pk}", {"response_minutes": 1}).status_code == 403
    assert SlaPolicy.objects.get(pk=w["policy"].pk).response_minutes == 60


def test_admin_creates_and_updates_policies(w, admin_api):
    r = admin_api.post("sla/policies", {"name": "SEV1 24x7", "applies_to": "incident", "level": "sev1",
                                        "response_minutes": 15, "resolution_minutes": 240, "business_hours": False})
    assert r.status_code == 201, r.content
    created = r.json()
    assert (created["client"], created["pause_states"], created["onsite_minutes"]) == (None, [], None)
    r = admin_api.patch(f"sla/policies/{created['id']}", {"resolution_minutes": 180, "active": False})
    assert r.status_code == 200 and (r.json()["resolution_minutes"], r.json()["active"]) == (180, False)


@pytest.mark.parametrize(("body", "field"), [
    ({"level": "sev1"}, "level"),
    ({"response_minutes": 0}, "response_minutes"),
    ({"response_minutes": "soon"}, "response_minutes"),
    ({"pause_states": ["napping"]}, "pause_states"),
    ({"pause_states": "on_hold"}, "pause_states"),
    ({"client": 10**12}, "client"),
    ({"applies_to": "change"}, "applies_to"),
    ({"category": "nonsense"}, "category"),
    ({"colour": "red"}, "colour"),
    ({"response_minutes": 10**20}, "response_minutes"),
])
def test_bad_policies_are_problem_details(w, admin_api, body, field):
    base = {"name": "P1", "applies_to": "work_order", "level": "p1", "response_minutes": 30, "resolution_minutes": 240}
    before = SlaPolicy.objects.count()
    r = admin_api.post("sla/policies", {**base, **body})
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in r.json()["errors"]}
    assert SlaPolicy.objects.count() == before


@pytest.mark.parametrize("body", [
    {"applies_to": "incident"},  # p2 is not a severity
    {"onsite_minutes": 0},
    {"name": None},
    {"pause_states": ["closed"]},
    {"level": "p9"},
])
def test_bad_patches_are_4xx_and_change_nothing(w, admin_api, body):
    r = admin_api.patch(f"sla/policies/{w['policy'].pk}", body)
    assert 400 <= r.status_code < 500, r.content
    assert r["Content-Type"] == "application/problem+json"
    policy = SlaPolicy.objects.get(pk=w["policy"].pk)
    assert (policy.applies_to, policy.level, policy.onsite_minutes, policy.name) == ("work_order", "p2", 480, "Alpha P2")


def test_unknown_policy_is_404(admin_api):
    assert admin_api.patch("sla/policies/999999", {"active": False}).status_code == 404


def test_a_site_that_never_opens_gives_no_due_instant_not_a_500(w, admin_api):
    site = w["site"]
    site.business_hours = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    site.save(update_fields=["business_hours"])
    r = _sla(admin_api, f"work-orders/{w['wo'].pk}/sla", NOW + dt.timedelta(days=3))
    assert r.status_code == 200, r.content
    response = r.json()["targets"][0]
    assert (response["status"], response["elapsed_minutes"], response["due_at"]) == ("running", 0, None)
