"""A person's acknowledgement or resolution of an alert is on its timeline with the status before and after."""

from __future__ import annotations

import pytest

from opsdesk.alerts import services
from opsdesk.alerts.models import Alert
from opsdesk.core import clock, timeline
from tests import factories as f
from tests.alerts.factories import make_integration

pytestmark = pytest.mark.django_db


def test_acknowledging_and_resolving_record_who_and_the_status_before_and_after():
    integration, _ = make_integration()
    now = clock.now()
    alert = Alert.objects.create(integration=integration, client=integration.client, key="k1", summary="Disk full",
                                 first_seen_at=now, last_seen_at=now, started_at=now)
    person = f.make_user("incident_commander", password=None)
    services.acknowledge_alert(alert, actor=person)
    services.resolve_alert(alert, actor=person)
    entries = [(a.actor_label, a.verb, a.changes.get("status")) for a in timeline.for_object(alert)]
    assert entries == [
        (person.get_username(), "acknowledged", ["firing", "acknowledged"]),
        (person.get_username(), "resolved", ["acknowledged", "resolved"]),
    ]
