"""The demo's alerts and incidents: integrations with keys printed once, incidents in several states
made by the real pipeline, with roles, audience updates, correlation reasons and a postmortem."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from opsdesk.accounts.models import User
from opsdesk.alerts import keys, processing
from opsdesk.alerts.models import Alert, Integration
from opsdesk.core import clock, timeline
from opsdesk.demo.context import DemoContext
from opsdesk.incidents.models import Incident, IncidentAlert
from opsdesk.learning.models import Postmortem, Problem

pytestmark = pytest.mark.usefixtures("demo", "db")


def test_integrations_of_each_kind_with_their_keys_printed_once(demo: DemoContext) -> None:
    kinds = set(Integration.objects.values_list("kind", flat=True))
    assert {"alertmanager", "events_v2"} <= kinds
    printed = [n for n in demo.notes if "key odi_" in n]
    assert len(printed) == Integration.objects.count()
    for note in printed:
        raw = note.rsplit("key ", 1)[1]
        assert Integration.objects.filter(key_hash=keys.hash_key(raw)).exists()
        assert not Integration.objects.filter(key_prefix=raw).exists()  # only a prefix is kept
    assert Integration.objects.get(name="Prometheus (Northgate)").rules.count() >= 3


def test_incidents_in_several_states_with_updates_roles_and_a_postmortem(demo: DemoContext) -> None:
    states = set(Incident.objects.values_list("state", flat=True))
    assert {"triggered", "identified", "monitoring", "resolved", "closed"} <= states
    outage = Incident.objects.get(state="identified")
    assert outage.severity == "sev1"
    assert set(outage.updates.values_list("audience", flat=True)) == {"responders", "clients", "end_users"}
    assert outage.roles.filter(acknowledged_at__isnull=False).count() == 2
    assert IncidentAlert.objects.filter(incident=outage, relation="upstream").exists()
    assert Postmortem.objects.filter(incident__state="resolved").count() == 1
    pm = Postmortem.objects.get()
    assert pm.summary and pm.impact
    # Its action items show the actions page each case: open, overdue, done.
    today = demo.today
    actions = list(pm.actions.order_by("due_on"))
    assert [(a.state, a.due_on < today) for a in actions] == [("open", True), ("done", True), ("open", False)]


def test_flapping_alerts_and_every_alert_placed() -> None:
    assert Alert.objects.filter(flapping=True).exists()
    assert not Alert.objects.filter(service__isnull=True, site__isnull=True).exists()
    assert not Alert.objects.filter(incident_id__isnull=True, maintenance_change__isnull=True).exists()


def test_a_new_storage_alert_joins_the_long_open_outage_instead_of_a_second_incident(demo: DemoContext, anon_api,
                                                                                      api_for) -> None:
    """Issue 17: with SEV1 INC-3 open on storage for over an hour, a new storage alert from
    Alertmanager opened a SEV3 with the false reason "No open incident on this service"."""
    outage = Incident.objects.get(state="identified")
    key = next(n for n in demo.notes if n.startswith("Integration 'Prometheus (Northgate)'")).rsplit("key ", 1)[1]
    client_user = User.objects.get(username="client-northgate")
    portal = api_for(client_user)
    seen = portal.get("incidents").json()["count"]
    before = Incident.objects.count()
    at = outage.detected_at + dt.timedelta(hours=2)
    labels = {"alertname": "StorageArrayControllerDegraded", "service": "storage-array", "severity": "warning",
              "instance": "lon-dc2-san01:9100", "job": "node"}
    payload = {"version": "4", "status": "firing", "receiver": "opsdesk", "groupKey": "{}:{}", "groupLabels": {},
               "commonLabels": labels, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
               "alerts": [{"status": "firing", "labels": labels, "fingerprint": "5a1d0c0ffee00017",
                           "annotations": {"summary": "Array B controller degraded"},
                           "startsAt": at.isoformat().replace("+00:00", "Z"), "endsAt": "0001-01-01T00:00:00Z"}]}
    with clock.frozen(at):
        assert anon_api.post(f"/api/v1/integrations/alertmanager/{key}", payload).status_code == 202
    with clock.frozen(at + dt.timedelta(seconds=2)):
        processing.drain()
    link = IncidentAlert.objects.get(alert__labels__alertname="StorageArrayControllerDegraded")
    assert (link.incident_id, link.relation) == (outage.pk, "same_service")
    assert f"INC-{outage.pk}, still open (opened 2 h 0 min ago)" in link.reason
    assert Incident.objects.count() == before
    assert portal.get("incidents").json()["count"] == seen


def test_a_proposed_problem_with_its_incidents_known_error_and_workaround(api_for) -> None:
    """Issue 17: the recurring ward 7 Wi-Fi incidents make a proposed problem, triaged with its
    known error and workaround, on its page, in the API and on the timelines."""
    problem = Problem.objects.get()
    assert (problem.state, problem.signature, problem.service.code) == ("proposed", "WifiApDown", "hospital-lan")
    incidents = list(problem.incidents.order_by("detected_at"))
    assert [i.state for i in incidents] == ["resolved", "resolved", "resolved", "monitoring"]
    assert problem.known_error.startswith("The ward 7 PoE switch") and problem.workaround.startswith("Power-cycle")
    commander = User.objects.get(username="commander")
    assert problem.owner == commander
    entries = list(timeline.for_object(problem))
    assert entries[0].verb == "created" and entries[0].summary.startswith("Proposed: 4 incidents on")
    assert [e.verb for e in entries].count("linked") == 4 and "updated" in [e.verb for e in entries]
    assert all(timeline.for_object(i).filter(verb="problem").exists() for i in incidents)
    http = HttpClient()
    http.force_login(commander)
    page = http.get(reverse("incidents:problem_detail", args=[problem.pk])).content.decode()
    assert escape(problem.known_error) in page and escape(problem.workaround) in page
    assert all(f">INC-{i.pk}<" in page for i in incidents)
    body = api_for(commander).get(f"problems/{problem.pk}").json()
    assert (body["state"], body["known_error"], body["workaround"]) == ("proposed", problem.known_error,
                                                                         problem.workaround)
    assert {i["id"] for i in body["incidents"]} == {i.pk for i in incidents}
