"""Pages through people's webhook and chat contact methods: handed to channels once per page key,
delivered signed (verified by standardwebhooks on a loopback receiver) with the one-click actions."""

from __future__ import annotations

import pytest

from opsdesk.channels import sending
from opsdesk.channels.models import Delivery
from opsdesk.paging import services
from opsdesk.paging.models import Page
from tests import factories as f
from tests.channels.conftest import receiver  # noqa: F401 (fixture)
from tests.channels.factories import make_endpoint
from tests.channels.receiver import Receiver

from .helpers import T0, make_policy, open_incident, person, rule
from .test_services import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_webhook_contact_method_gets_one_signed_delivery_with_the_actions(receiver: Receiver) -> None:  # noqa: F811
    alice = f.make_user("engineer", username="alice")
    endpoint, secret = make_endpoint(receiver.url("/pager"), name="Alice's pager gateway")
    receiver.secrets["/pager"] = secret
    rule(alice, "high", kind="webhook", endpoint_id=endpoint.pk)
    make_policy(person(alice))
    open_incident(f.make_user("incident_commander"))
    assert run(T0) == (1, 1)
    page = Page.objects.get(person=alice)
    assert page.state == "sent"
    assert services.send_due(T0) == 0  # sending again hands nothing over twice
    # (The endpoint, subscribed to every event, also gets the incident.opened event.)
    delivery = Delivery.objects.get(event="incident.paged")
    assert delivery.idempotency_key == page.idempotency_key and delivery.endpoint == endpoint
    sending.attempt(delivery.pk)
    [got] = [r for r in receiver.on("/pager") if r.json["type"] == "incident.paged"]
    assert got.verified is True, got.problem
    actions = {a["label"]: a["url"] for a in got.json["data"]["message"]["actions"]}
    assert set(actions) >= {"Acknowledge", "Escalate"} and all("/paging/a/" in actions[k] for k in ("Acknowledge", "Escalate"))
