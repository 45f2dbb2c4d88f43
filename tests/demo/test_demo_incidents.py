"""The demo's alerts and incidents: integrations with keys printed once, incidents in several states
made by the real pipeline, with roles, audience updates, correlation reasons and a postmortem."""

from __future__ import annotations

import pytest

from opsdesk.alerts import keys
from opsdesk.alerts.models import Alert, Integration
from opsdesk.demo.context import DemoContext
from opsdesk.incidents.models import Incident, IncidentAlert, Postmortem

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
