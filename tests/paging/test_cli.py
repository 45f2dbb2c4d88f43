"""`opsdesk escalation`: policies, show, status, advance."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from opsdesk.core import clock
from tests import factories as f

from .helpers import T0, make_policy, open_incident, person

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command("escalation", *args, stdout=out)
    return out.getvalue()


def test_policies_show_status_advance() -> None:
    alice = f.make_user("engineer", username="alice")
    policy = make_policy(person(alice, wait=5), {"target_kind": "team", "team": "EPR"}, name="Northgate EPR")
    incident = open_incident(f.make_user("incident_commander"))
    assert "Northgate EPR" in cli("policies")
    shown = cli("show", "northgate epr")
    assert "team EPR" in shown and "│ alice " in shown and str(policy.pk) in shown
    with clock.frozen(T0):
        assert "Ran 1 due step(s); sent 1 page(s)." in cli("advance")
    status = cli("status", f"INC-{incident.pk}")
    assert "alice by email: sent" in status and "active" in status
    assert len(mail.outbox) == 1
    with pytest.raises(CommandError):
        cli("show", "nope")
    with pytest.raises(CommandError):
        cli("status", "INC-999999")
