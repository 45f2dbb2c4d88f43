"""`opsdesk webhook`: add (secret printed once), list, deliveries, replay, test."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from opsdesk.channels import sending, services
from opsdesk.channels.models import Delivery, Endpoint
from tests.channels.factories import message

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("webhook", *args, stdout=out)
    return out.getvalue()


def test_add_list_deliveries_replay_and_test(receiver):
    added = _run("add", "Ops hook", receiver.url("/hook"), "--event", "incident.opened", "--event", "incident.resolved")
    secret = re.search(r"(whsec_\S+)", added).group(1)
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["incident.opened", "incident.resolved"] and endpoint.created_by is None
    receiver.secrets["/hook"] = secret
    services.publish("incident.opened", message())
    sending.deliver_due()
    assert receiver.on("/hook")[0].verified
    listed = _run("list")
    assert "Ops hook" in listed and "active" in listed and secret not in listed
    delivery = Delivery.objects.get()
    assert delivery.message_id in _run("deliveries", str(endpoint.pk))
    assert "delivered" in _run("replay", str(delivery.pk))
    assert "delivered" in _run("test", str(endpoint.pk))
    assert len(receiver.on("/hook")) == 3 and all(r.verified for r in receiver.on("/hook"))
    slack = _run("add", "Desk channel", receiver.url("/slack"), "--kind", "slack")
    assert "whsec_" not in slack


def test_refusals_are_command_errors(settings):
    settings.OPSDESK_OUTBOUND_ALLOW = []
    with pytest.raises(CommandError, match="loopback"):
        _run("add", "Loop", "http://127.0.0.1:8000/x")
    with pytest.raises(CommandError, match="no delivery"):
        _run("replay", "999")
    assert not Endpoint.objects.exists()
