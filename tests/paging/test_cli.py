"""`opsdesk escalation`: policies, show, status, advance."""

from __future__ import annotations

import io
import json

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


def test_create_a_policy_add_contacts_and_rules_and_acknowledge_from_the_cli(tmp_path, settings) -> None:
    from opsdesk.paging.models import ContactMethod, Escalation, EscalationPolicy, NotificationRule
    from tests.channels.factories import make_endpoint

    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    alice = f.make_user("engineer", username="alice")
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps({"name": "EPR", "is_default": True,
                                       "steps": [{"target": "person", "ref": alice.pk, "wait_minutes": 5}]}))
    assert "created with 1 step(s)" in cli("create", str(policy_file))
    assert EscalationPolicy.objects.get().steps.get().person == alice
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "Bad", "steps": [{"target": "schedule", "ref": 424242}]}')
    with pytest.raises(CommandError, match=r"steps\[0\]\.ref"):
        cli("create", str(bad))
    assert EscalationPolicy.objects.count() == 1
    hook, _ = make_endpoint("http://127.0.0.1:9/pager", kind="webhook", name="SMS gateway")
    assert "added for alice" in cli("add-contact", "alice", "--kind", "webhook", "--endpoint", str(hook.pk))
    method = ContactMethod.objects.get()
    with pytest.raises(CommandError, match="no channels endpoint"):
        cli("add-contact", "alice", "--kind", "webhook", "--endpoint", "999999")
    assert "Rule" in cli("add-rule", "alice", "--urgency", "high", "--method", str(method.pk), "--delay", "2")
    assert NotificationRule.objects.get().delay_minutes == 2
    listed = cli("contacts", "alice")
    assert "SMS gateway" in listed and "2 min" in listed
    incident = open_incident(f.make_user("incident_commander"))
    assert "escalation acknowledged" in cli("ack", f"INC-{incident.pk}", "--as", "alice")
    assert Escalation.objects.get(incident=incident).stopped_by == alice
