"""The incidents API: declare, transitions, owner, roles as handoffs, audience updates, the change link,
and what client users may see."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from opsdesk.core.models import Notification
from opsdesk.incidents import updates
from opsdesk.incidents.models import Incident
from tests import factories as f
from tests.changes.helpers import make_change, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def e(api_for):
    client, other = f.make_client(), f.make_client()
    site = f.make_site(clients=[client])
    service = f.make_service(client, name="EPR", code="epr", sites=[site])
    commander = f.make_user("incident_commander", password=None)
    comms = f.make_user("service_desk", password=None)
    viewer = f.make_user("client", client=client, password=None)
    outsider = f.make_user("client", client=other, password=None)

    class E:
        pass

    out = E()
    out.__dict__.update(locals())
    out.api = api_for(commander, ["read", "write"])
    out.client_api = api_for(viewer, ["read", "write"])
    out.outsider_api = api_for(outsider, ["read"])
    out.comms_api = api_for(comms, ["read", "write"])
    return out


def declare(e, **kw):
    body = {"title": "EPR is slow", "severity": "sev2", "services": [e.service.pk], **kw}
    response = e.api.post("incidents", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_declare_read_and_walk_the_states(e) -> None:
    data = declare(e)
    assert data["state"] == "triggered" and data["owner"] == e.commander.pk and data["severity"] == "sev2"
    assert [s["name"] for s in data["impact"]["services"]] == ["EPR"]
    path = f"incidents/{data['id']}/transitions"
    bad = e.api.post(path, {"to": "closed", "reason": "x"})
    assert bad.status_code == 409 and "can move to" in bad.json()["detail"]
    assert e.api.post(path, {"to": "resolved"}).status_code == 422  # says why
    for to in ("acknowledged", "investigating", "identified", "monitoring"):
        assert e.api.post(path, {"to": to}).status_code == 200
    done = e.api.post(path, {"to": "resolved", "reason": "cache flushed"}).json()
    assert done["state"] == "resolved" and done["next_update_due_at"] is None
    m = done["metrics"]
    assert m["time_to_acknowledge"] is not None and m["time_to_mitigate"] is not None and m["time_to_resolve"] is not None
    timeline = e.api.get(f"incidents/{data['id']}/timeline").json()["items"]
    assert [t["verb"] for t in timeline][:2] == ["created", "transition"]


def test_roles_are_handoffs_the_receiver_acknowledges(e) -> None:
    data = declare(e)
    path = f"incidents/{data['id']}/roles"
    given = e.api.post(path, {"role": "communications", "user": e.comms.pk, "note": "Clinicians asked twice"})
    assert given.status_code == 200 and given.json()["acknowledged_at"] is None
    assert Notification.objects.filter(user=e.comms, title__contains="Communications lead").exists()
    assert e.api.post(f"{path}/acknowledge", {"role": "communications"}).status_code == 403  # not the holder
    acked = e.comms_api.post(f"{path}/acknowledge", {"role": "communications"})
    assert acked.status_code == 200 and acked.json()["acknowledged_at"]
    roles = e.api.get(f"incidents/{data['id']}").json()["roles"]
    assert [(r["role"], r["username"]) for r in roles] == [("communications", e.comms.username)]
    assert e.api.post(path, {"role": "janitor", "user": e.comms.pk}).status_code == 422


def test_updates_per_audience_and_what_clients_see(e) -> None:
    data = declare(e)
    path = f"incidents/{data['id']}/updates"
    assert e.api.post(path, {"audience": "end_users", "body": "EPR is slow"}).status_code == 422  # can/cannot do
    later = (clock.now() + dt.timedelta(minutes=20)).isoformat()
    end_users = e.api.post(path, {
        "audience": "end_users", "body": "EPR is slow to open records.", "cannot_do": "Open scanned letters",
        "can_do": "Read and write notes", "workaround": "Use the paper form", "next_update_at": later,
    })
    assert end_users.status_code == 201
    assert e.api.post(path, {"audience": "responders", "body": "p99 4 s on storage array B"}).status_code == 201
    incident = Incident.objects.get(pk=data["id"])
    assert abs((incident.next_update_due_at - dt.datetime.fromisoformat(later)).total_seconds()) < 1
    seen = e.client_api.get(path).json()["items"]
    assert [u["audience"] for u in seen] == ["end_users"]
    detail = e.client_api.get(f"incidents/{data['id']}").json()
    assert detail["what_changed"] == [] and detail["roles"] == []
    assert e.client_api.post(path, {"audience": "clients", "body": "hi"}).status_code == 403
    assert e.outsider_api.get(f"incidents/{data['id']}").status_code == 404
    assert e.outsider_api.get(path).status_code == 404
    assert data["id"] not in [i["id"] for i in e.outsider_api.get("incidents").json()["items"]]
    client_timeline = e.client_api.get(f"incidents/{data['id']}/timeline").json()["items"]
    assert all("p99" not in t["summary"] for t in client_timeline)
    assert any("paper form" not in t["summary"] and "EPR is slow" in t["summary"] for t in client_timeline)


def test_overdue_updates_remind_once_per_due_time(e) -> None:
    data = declare(e)
    Incident.objects.filter(pk=data["id"]).update(next_update_due_at=clock.now() - dt.timedelta(minutes=5))
    assert updates.remind_overdue() == 1
    assert updates.remind_overdue() == 0
    assert Notification.objects.filter(user=e.commander, title__contains="Update overdue").count() == 1


def test_linking_the_causing_change_marks_it(e) -> None:
    data = declare(e)
    admin = f.make_user("admin", password=None)
    change = make_change(admin, services_=[e.service], start=clock.now() - dt.timedelta(hours=2))
    change = submit(change, admin)
    ChangeRequest.objects.filter(pk=change.pk).update(state="implementing")
    linked = e.api.post(f"incidents/{data['id']}/change", {"change": change.pk})
    assert linked.status_code == 200 and linked.json()["change"] == change.pk
    assert ChangeRequest.objects.get(pk=change.pk).caused_incident is True
    assert e.api.post(f"incidents/{data['id']}/change", {"change": 999999}).status_code == 404


def test_bad_input_is_a_problem_not_a_crash(e) -> None:
    assert e.api.post("incidents", {"title": ""}).status_code == 422
    assert e.api.post("incidents", {"title": "x", "severity": "sev9"}).status_code == 422
    assert e.api.post("incidents", {"title": "x", "services": [999999]}).status_code == 422
    assert e.api.post("incidents", {"title": "x", "started_at": "2026-01-01T00:00:00"}).status_code == 422
    assert e.api.post("incidents/999999/transitions", {"to": "acknowledged"}).status_code == 404
    assert Incident.objects.count() == 0
