"""Alerts open or join incidents (incidents.correlation), through alert processing."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.alerts.models import Alert
from opsdesk.changes import services as change_services
from opsdesk.core import clock, timeline
from opsdesk.core.models import Notification
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
