"""Alerts open or join incidents (incidents.correlation), through alert processing."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.alerts.models import Alert
from opsdesk.changes import services as change_services
from opsdesk.core import clock, timeline
from opsdesk.core.models import Notification
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.models import Incident, IncidentAlert
from tests import factories as f
from tests.alerts.pipeline import deliver, make_integration, process, signal
from tests.changes.helpers import make_change, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    client = f.make_client()
    commander = f.make_user("incident_commander", password=None)
    dc1 = f.make_site(clients=[client], code="DC1")
    dc2 = f.make_site(clients=[client], code="DC2")
    storage = f.make_service(client, name="Storage", code="storage", criticality=4, sites=[dc1])
    epr = f.make_service(client, name="EPR", code="epr", criticality=4, sites=[dc1])
    mail = f.make_service(client, name="Mail", code="mail", criticality=2, sites=[dc2])
    f.depend(epr, storage)
    integration = make_integration(client)
    from opsdesk.alerts.models import MappingRule

    for position, service in enumerate((storage, epr, mail)):
        MappingRule.objects.create(integration=integration, position=position, label="service", value=service.code,
                                   service=service)
    MappingRule.objects.create(integration=integration, position=9, label="dc", value="dc2", site=dc2)

    class W:
        pass

    w = W()
    w.__dict__.update(locals())
    return w


def test_an_alert_opens_an_incident_with_severity_owner_impact_and_a_page(world) -> None:
    deliver(world.integration, signal("s1", severity="critical", labels={"service": "storage", "alertname": "StorageDown"},
                                      summary="Storage array down"))
    process()
    incident = Incident.objects.get()
    assert (incident.severity, incident.state, incident.owner) == ("sev1", "triggered", world.commander)
    assert incident.title == "Storage array down" and incident.signature == "StorageDown"
    assert [s["name"] for s in incident.impact["services"]] == ["Storage"]
    assert [s["name"] for s in incident.impact["downstream"]] == ["EPR"]
    assert [c["id"] for c in incident.impact["clients"]] == [world.client.pk]
    assert list(incident.clients.all()) == [world.client]
    assert Alert.objects.get().incident_id == incident.pk
    link = IncidentAlert.objects.get()
    assert link.relation == "trigger" and "No open incident" in link.reason
    assert Notification.objects.filter(user=world.commander, title__contains=f"INC-{incident.pk}").exists()
    assert incident.next_update_due_at == incident.detected_at + dt.timedelta(minutes=30)


def test_same_service_joins_and_an_upstream_failure_takes_its_symptoms(world) -> None:
    deliver(world.integration, signal("s1", labels={"service": "storage"}), body="1")
    process()
    deliver(world.integration, signal("s2", labels={"service": "storage"}, summary="Storage latency"), body="2")
    deliver(world.integration, signal("e1", labels={"service": "epr"}, summary="EPR slow"), body="3")
    process()
    incident = Incident.objects.get()
    relations = dict(IncidentAlert.objects.values_list("alert__key", "relation"))
    assert relations == {"s1": "trigger", "s2": "same_service", "e1": "upstream"}
    reason = IncidentAlert.objects.get(alert__key="e1").reason
    assert "EPR depends on Storage" in reason and f"INC-{incident.pk}" in reason
    summaries = [a.summary for a in timeline.for_object(incident)]
    assert any("EPR slow" in s for s in summaries)


def test_same_site_joins_within_the_window_and_not_after(world) -> None:
    deliver(world.integration, signal("m1", labels={"service": "mail", "dc": "dc2"}), body="1")
    process()
    deliver(world.integration, signal("x1", labels={"dc": "dc2"}), body="2")
    process()
    assert Incident.objects.count() == 1
    assert IncidentAlert.objects.get(alert__key="x1").relation == "same_site"
    Incident.objects.update(detected_at=clock.now() - dt.timedelta(hours=2))
    deliver(world.integration, signal("x2", labels={"dc": "dc2"}), body="3")
    process()
    assert Incident.objects.count() == 2


def test_unrelated_services_open_separate_incidents_and_resolves_reach_the_timeline(world) -> None:
    deliver(world.integration, signal("m1", labels={"service": "mail"}), signal("s1", labels={"service": "storage"}))
    process()
    assert Incident.objects.count() == 2
    mail = Incident.objects.get(services__code="mail")
    assert mail.severity == "sev3"  # an error on a medium-criticality service
    deliver(world.integration, signal("m1", "resolve"))
    process()
    texts = [a.summary for a in timeline.for_object(mail)]
    assert any("All alerts of this incident are resolved" in t for t in texts)


def test_alerts_in_an_approved_change_maintenance_period_do_not_page(world) -> None:
    owner, peer = f.make_user("engineer", password=None), f.make_user("engineer", password=None)
    change = submit(make_change(owner, services_=[world.mail], start=clock.now() - dt.timedelta(minutes=30)), owner)
    change = change_services.decide(change, peer, capacity="peer", decision="approved")
    assert change.state == "approved"
    deliver(world.integration, signal("s1", labels={"service": "mail"}))
    process()
    alert = Alert.objects.get()
    assert alert.maintenance_change_id == change.pk and alert.incident_id is None
    assert not Incident.objects.exists()
    assert not Notification.objects.filter(user=world.commander).exists()


def test_same_alert_name_groups_and_a_storm_stops_paging(world, settings) -> None:
    from opsdesk.incidents import rules

    deliver(world.integration, *[signal(f"d{i}", labels={"alertname": "DiskFull", "instance": f"h{i}"}) for i in range(6)])
    process()
    incident = Incident.objects.get()
    assert IncidentAlert.objects.filter(incident=incident, relation="same_signature").count() == 5
    texts = [a.summary for a in timeline.for_object(incident)]
    assert any(t.startswith("5 alerts joined") for t in texts) and len(texts) == 2
    limit = rules.STORM_LIMIT
    deliver(world.integration, *[signal(f"s{i}", labels={"alertname": f"Unique{i}"}) for i in range(limit + 5)])
    process()
    assert Incident.objects.count() == limit  # the first one plus limit - 1 new, then the storm joins
    assert IncidentAlert.objects.filter(relation="storm").count() == 6
    assert Notification.objects.filter(user=world.commander).count() == limit


# --- an open incident attracts its service's alerts however long it has been open ---------------

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _alert(world, key: str, at: dt.datetime, **labels: str) -> None:
    with clock.frozen(at):
        deliver(world.integration, signal(key, labels=labels, summary=f"Alert {key}"), body=key)
        process()


def _resolve(world, incident: Incident, at: dt.datetime, *, close: bool = False) -> None:
    with clock.frozen(at):
        incident = incident_services.transition_incident(incident, "resolved", actor=world.commander, reason="fixed")
        if close:
            incident_services.transition_incident(incident, "closed", actor=world.commander, reason="done")


def test_an_incident_open_for_hours_attracts_its_service_and_its_symptoms(world) -> None:
    _alert(world, "s1", NOW - 120 * MIN, service="storage")
    outage = Incident.objects.get()
    _alert(world, "s2", NOW, service="storage")
    _alert(world, "e1", NOW + MIN, service="epr")
    assert Incident.objects.count() == 1  # not a second incident for the same outage
    links = {link.alert.key: link for link in IncidentAlert.objects.select_related("alert")}
    assert (links["s2"].incident_id, links["s2"].relation) == (outage.pk, "same_service")
    assert f"INC-{outage.pk}" in links["s2"].reason and "still open" in links["s2"].reason
    assert "opened 2 h 0 min ago" in links["s2"].reason
    assert "No open incident" not in links["s2"].reason
    assert (links["e1"].incident_id, links["e1"].relation) == (outage.pk, "upstream")


def test_an_alert_minutes_after_the_resolution_reopens_the_incident(world) -> None:
    _alert(world, "s1", NOW - 60 * MIN, service="storage")
    incident = Incident.objects.get()
    _resolve(world, incident, NOW - 10 * MIN)
    _alert(world, "s2", NOW, service="storage")
    incident.refresh_from_db()
    assert Incident.objects.count() == 1
    assert incident.state == "investigating" and incident.resolved_at is None
    link = IncidentAlert.objects.get(alert__key="s2")
    assert (link.incident_id, link.relation) == (incident.pk, "reopened")
    assert "resolved 10 min ago" in link.reason
    assert timeline.for_object(incident).filter(verb="transition", summary__startswith="resolved → investigating").exists()
    assert Notification.objects.filter(user=world.commander, title__contains=f"INC-{incident.pk} reopened").exists()


def test_an_alert_hours_after_the_resolution_opens_a_new_incident_saying_why(world) -> None:
    _alert(world, "s1", NOW - 4 * 60 * MIN, service="storage")
    old = Incident.objects.get()
    _resolve(world, old, NOW - 120 * MIN)
    _alert(world, "s2", NOW, service="storage")
    assert Incident.objects.count() == 2
    link = IncidentAlert.objects.get(alert__key="s2")
    assert link.relation == "trigger" and link.incident_id != old.pk
    assert link.reason.startswith("No open incident on Storage;")  # Storage depends on nothing
    assert "none resolved within 60 min" in link.reason
    old.refresh_from_db()
    assert old.state == "resolved"


def test_a_closed_incident_stays_closed_and_the_new_one_says_so(world) -> None:
    _alert(world, "s1", NOW - 60 * MIN, service="storage")
    old = Incident.objects.get()
    _resolve(world, old, NOW - 10 * MIN, close=True)
    _alert(world, "s2", NOW, service="storage")
    link = IncidentAlert.objects.get(alert__key="s2")
    assert link.relation == "trigger" and link.incident_id != old.pk
    assert f"INC-{old.pk}" in link.reason and "is closed" in link.reason
    old.refresh_from_db()
    assert old.state == "closed"


def test_the_windows_are_the_integrations(world) -> None:
    world.integration.group_window_minutes = 180
    world.integration.reopen_window_minutes = 5
    world.integration.save()
    _alert(world, "m1", NOW - 150 * MIN, service="mail", dc="dc2")
    _alert(world, "x1", NOW, dc="dc2")
    assert IncidentAlert.objects.get(alert__key="x1").relation == "same_site"  # 150 min is within 180
    _resolve(world, Incident.objects.get(), NOW + MIN)
    _alert(world, "m2", NOW + 11 * MIN, service="mail")
    link = IncidentAlert.objects.get(alert__key="m2")
    assert link.relation == "trigger" and "none resolved within 5 min" in link.reason


def test_the_windows_are_set_through_the_api(world, admin_api) -> None:
    made = admin_api.post("integrations", {"name": "AM", "kind": "alertmanager", "client": world.client.pk})
    assert made.status_code == 201, made.content
    assert (made.json()["group_window_minutes"], made.json()["reopen_window_minutes"]) == (60, 60)
    url = f"integrations/{made.json()['id']}"
    changed = admin_api.patch(url, {"group_window_minutes": 240, "reopen_window_minutes": 15})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["group_window_minutes"], changed.json()["reopen_window_minutes"]) == (240, 15)
    refused = admin_api.patch(url, {"reopen_window_minutes": 0})
    assert refused.status_code == 422 and "reopen_window_minutes" in refused.content.decode()
    again = admin_api.get(url).json()
    assert (again["group_window_minutes"], again["reopen_window_minutes"]) == (240, 15)
