"""The paging API beyond its contract: bad input refused with nothing changed, who may do what."""

from __future__ import annotations

import pytest

from opsdesk.paging.models import ContactMethod, EscalationPolicy
from tests import factories as f

from .helpers import make_policy, open_incident, person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("step", [
    {"target": "person", "ref": 999999},
    {"target": "team"},
    {"target": "schedule"},
    {"target": "roles", "roles": ["janitor"]},
    {"target": "pager"},
    {"target": "person", "ref": 1, "wait_minutes": -1},
])
def test_bad_steps_are_refused_and_nothing_is_created(admin_api, step) -> None:
    r = admin_api.post("escalation-policies", {"name": "P", "steps": [step]})
    assert r.status_code in (400, 422), r.content
    assert r["Content-Type"] == "application/problem+json"
    assert not EscalationPolicy.objects.exists()


def test_bad_severity_rule_is_refused(admin_api) -> None:
    r = admin_api.post("escalation-policies", {"name": "P", "severity_rules": {"sev1": "shout"}})
    assert r.status_code in (400, 422)


def test_roles_without_permission_cannot_write_policies(api_for) -> None:
    r = api_for(f.make_user("engineer")).post("escalation-policies", {"name": "P"})
    assert r.status_code == 403 and not EscalationPolicy.objects.exists()


def test_client_users_see_no_policies_and_no_paging(api_for) -> None:
    make_policy(person(f.make_user("engineer")))
    client_api = api_for(f.make_user("client", client=f.make_client()))
    assert client_api.get("escalation-policies").json()["count"] == 0
    assert client_api.get("paging/profile").status_code == 403


def test_an_engineer_manages_their_own_settings_only(api_for, admin_user) -> None:
    alice, bob = f.make_user("engineer"), f.make_user("engineer")
    api = api_for(alice)
    r = api.post("paging/contact-methods", {"kind": "email", "address": "alice-pager@example.test"})
    assert r.status_code == 201 and r.json()["person"] == alice.pk
    assert api.post("paging/contact-methods", {"kind": "email", "address": "nope"}).status_code in (400, 422)
    assert api.post("paging/contact-methods", {"kind": "chat"}).status_code in (400, 422)
    assert api.get("paging/contact-methods", person=bob.pk).status_code == 403
    bobs = ContactMethod.objects.create(person=bob, kind="email")
    assert api.delete(f"paging/contact-methods/{bobs.pk}").status_code == 404
    assert api.post("paging/notification-rules", {"urgency": "high", "contact_method": bobs.pk}).status_code in (400, 422)
    assert api.put("paging/profile", {"quiet_start": "22:00"}).status_code in (400, 422)
    assert api.put("paging/profile", {"time_zone": "Mars/Olympus"}).status_code in (400, 422)
    admin = api_for(admin_user)
    listed = admin.get("paging/contact-methods", person=bob.pk).json()
    assert [m["id"] for m in listed["items"]] == [bobs.pk]


def test_acknowledge_and_escalate_through_the_api(api_for) -> None:
    alice, bob = f.make_user("engineer", username="alice"), f.make_user("engineer")
    make_policy(person(alice, wait=30), person(bob))
    incident = open_incident(f.make_user("incident_commander"))
    api = api_for(alice)
    r = api.post(f"incidents/{incident.pk}/escalation/escalate")
    assert r.status_code == 200 and [s["state"] for s in r.json()["steps"]] == ["done", "due"]
    r = api.post(f"incidents/{incident.pk}/escalation/acknowledge")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert api.post(f"incidents/{incident.pk}/escalation/escalate").status_code == 409
