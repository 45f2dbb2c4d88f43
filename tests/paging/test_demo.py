"""The demo's paging: a default policy, the hospital's SEV1 policy, engineers' contact methods; a
SEV1 opened for the hospital pages at once."""

from __future__ import annotations

import pytest
from django.core import mail

from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.paging import services
from opsdesk.paging.models import ContactMethod, Escalation, EscalationPolicy
from tests.demo.conftest import demo  # noqa: F401  (the module-scoped demo fixture)

pytestmark = pytest.mark.usefixtures("demo", "db")


def test_demo_policies_and_contact_methods() -> None:
    names = set(EscalationPolicy.objects.values_list("name", flat=True))
    assert {"Default", "Northgate EPR"} <= names
    northgate = EscalationPolicy.objects.get(name="Northgate EPR")
    assert northgate.client is not None and northgate.client.code == "northgate"
    assert [s.target_kind for s in northgate.steps.order_by("position")][1:] == ["roles", "person"]
    assert ContactMethod.objects.filter(person__role="engineer").exists()


def test_a_new_sev1_pages_at_once() -> None:
    commander = User.objects.get(username="commander")
    incident = incidents.declare_incident({"title": "EPR down", "severity": "sev1"}, actor=commander)
    esc = Escalation.objects.get(incident=incident)
    assert esc.state == "active" and esc.policy is not None
    services.advance_due(clock.now())
    services.send_due(clock.now())
    assert mail.outbox and mail.outbox[0].subject.startswith(f"[INC-{incident.pk}] SEV1")
