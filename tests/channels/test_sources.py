"""Event sources: incidents (declared or opened by an alert, acknowledged, resolved, updated), work
order transitions, change approvals and SLA notices create the right deliveries; a client's
endpoint gets only its own client's events, in plain words with other clients' names redacted."""

from __future__ import annotations

import pytest

from opsdesk.channels.models import Delivery
from opsdesk.incidents import services as incident_services
from opsdesk.incidents import updates
from opsdesk.slas import notices
from tests import factories as f
from tests.alerts.pipeline import deliver, make_integration, process, signal
from tests.changes.helpers import make_change, submit
from tests.channels.factories import make_endpoint
from tests.slas.test_clocks import _move, _policy, _work_order, at
from tests.workorders.builders import world

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.com/"


def _sent(endpoint) -> list[tuple[str, dict]]:
    """(event, message) of each delivery of the endpoint, oldest first."""
    return [(d.event, d.payload["data"]["message"]) for d in Delivery.objects.filter(endpoint=endpoint).order_by("id")]


@pytest.fixture
def estate():
    alpha, beta, gamma = (f.make_client(name=n) for n in ("Alpha Health", "Beta Bank", "Gamma Retail"))
    shared = f.make_site(clients=[alpha, beta], code="shared-dc")
    epr = f.make_service(alpha, name="EPR", sites=[shared])
    ledger = f.make_service(beta, name="Ledger", sites=[shared])
    admin = f.make_user("admin")
    internal = make_endpoint(URL + "internal", actor=admin)[0]
    hooks = {c.name: make_endpoint(URL + c.code, actor=admin, client=c.pk)[0] for c in (alpha, beta, gamma)}
    return type("Estate", (), {"alpha": alpha, "beta": beta, "gamma": gamma, "epr": epr, "ledger": ledger,
                               "admin": admin, "internal": internal, "hooks": hooks,
                               "commander": f.make_user("incident_commander")})


def test_an_incident_opened_acknowledged_and_resolved_reaches_responders_and_its_clients(estate):
    incident = incident_services.declare_incident(
        {"title": "Shared DC power loss: EPR and Beta Bank ledger down", "summary": "UPS B tripped",
         "severity": "sev1", "services": [estate.epr.pk, estate.ledger.pk]}, actor=estate.commander)
    incident = incident_services.transition_incident(incident, "acknowledged", actor=estate.commander)
    incident = incident_services.transition_incident(incident, "resolved", actor=estate.commander,
                                                     reason="UPS B replaced")
    events = ["incident.opened", "incident.acknowledged", "incident.resolved"]
    internal = _sent(estate.internal)
    assert [e for e, _m in internal] == events
    assert internal[0][1]["summary"] == "UPS B tripped" and internal[0][1]["severity"].startswith("SEV1")
    assert "UPS B replaced" in internal[2][1]["summary"]
    alpha = _sent(estate.hooks["Alpha Health"])
    assert [e for e, _m in alpha] == events
    assert all(m["audience"] == "client" for _e, m in alpha)
    assert "Beta Bank" not in alpha[0][1]["title"] and "EPR" in alpha[0][1]["title"]  # the other client redacted
    assert alpha[0][1]["summary"].startswith("We are investigating") and "UPS" not in str(alpha)
    beta = _sent(estate.hooks["Beta Bank"])
    assert [e for e, _m in beta] == events and "Beta Bank" in beta[0][1]["title"]
    assert _sent(estate.hooks["Gamma Retail"]) == []  # not impacted: nothing
    delivery = Delivery.objects.filter(endpoint=estate.hooks["Alpha Health"]).first()
    assert delivery.payload["data"]["object"] == "incident" and delivery.payload["data"]["id"] == incident.pk
    assert delivery.thread_key == f"incident:{incident.pk}"


def test_client_updates_reach_client_endpoints_and_responder_updates_only_responders(estate):
    incident = incident_services.declare_incident({"title": "EPR slow", "services": [estate.epr.pk]},
                                                  actor=estate.commander)
    Delivery.objects.all().delete()
    updates.post_update(incident, {"audience": "clients", "body": "Records open slowly; a fix is being applied."},
                        actor=estate.commander)
    updates.post_update(incident, {"audience": "responders", "body": "Rolling back build 412"}, actor=estate.commander)
    incident_services.update_incident(incident, {"severity": "sev2"}, actor=estate.commander)
    [(event, message)] = _sent(estate.hooks["Alpha Health"])
    assert event == "incident.updated" and message["summary"] == "Records open slowly; a fix is being applied."
    assert [e for e, _m in _sent(estate.internal)] == ["incident.updated"] * 3
    assert "Rolling back build 412" in _sent(estate.internal)[1][1]["summary"]
    assert _sent(estate.hooks["Beta Bank"]) == []


def test_an_incident_opened_by_an_alert_is_published(estate):
    integration = make_integration(estate.alpha)
    from opsdesk.alerts.models import MappingRule

    MappingRule.objects.create(integration=integration, position=0, label="service", value="epr", service=estate.epr)
    deliver(integration, signal("s1", severity="critical", labels={"service": "epr"}, summary="EPR down"))
    process()
    assert [e for e, _m in _sent(estate.internal)] == ["incident.opened"]
    assert [e for e, _m in _sent(estate.hooks["Alpha Health"])] == ["incident.opened"]
    assert _sent(estate.hooks["Beta Bank"]) == []


def test_a_work_order_transition_reaches_its_own_client_only():
    w = world()
    admin = f.make_user("admin")
    internal = make_endpoint(URL + "internal", actor=admin, events=["workorder.state_changed"])[0]
    mine = make_endpoint(URL + "mine", actor=admin, client=w["client"].pk)[0]
    other = make_endpoint(URL + "other", actor=admin, client=f.make_client().pk)[0]
    from tests.workorders.builders import make

    wo = make(w, state="triage")
    states = [m["status"] for e, m in _sent(internal) if e == "workorder.state_changed"]
    assert states == ["Triage"]
    [(event, message)] = _sent(mine)
    assert event == "workorder.state_changed" and message["url"].endswith(f"/work/portal/{wo.pk}/")
    assert message["summary"] == "Now triage."
    assert _sent(other) == []


def test_a_change_approval_start_and_completion_reach_responders_only():
    from tests.changes.helpers import force_state, user

    client = f.make_client()
    site = f.make_site(clients=[client])
    service = f.make_service(client, sites=[site], criticality=1)
    owner, peer = user("engineer"), user("engineer")
    internal = make_endpoint(URL + "internal", events=["change.approved", "change.started", "change.completed"])[0]
    theirs = make_endpoint(URL + "client", client=client.pk)[0]
    from opsdesk.changes import services as change_services

    change = submit(make_change(owner, services_=[service]), owner)
    change = change_services.decide(change, peer, capacity="peer", decision="approved")
    assert change.state == "approved"
    change = force_state(change, ["scheduled", "implementing"], owner)
    change_services.transition_change(change, "completed", actor=owner, reason="done")
    assert [e for e, _m in _sent(internal)] == ["change.approved", "change.started", "change.completed"]
    assert _sent(theirs) == []  # no client wording for changes: internal endpoints only


def test_sla_at_risk_and_breach_notices_are_published():
    from opsdesk.core import clock

    w = world()
    _policy()
    f.make_user("admin")
    internal = make_endpoint(URL + "sla", events=["sla.at_risk", "sla.breached"])[0]
    wo = _work_order(w)
    _move(wo, "readiness", at(21, 8), w["desk"])
    with clock.frozen(at(21, 13, 1)):
        notices.watch()
    with clock.frozen(at(21, 15, 1)):
        notices.watch()
    sent = _sent(internal)
    assert [e for e, _m in sent] == ["sla.at_risk", "sla.breached"]
    assert sent[1][1]["title"] == f"SLA breached: WO-{wo.pk} ({wo.title})"
