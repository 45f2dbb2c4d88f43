"""A second worker while the first one waits for the receiver's answer (real threads and database
connections, committed data, on SQLite and PostgreSQL): the claimed delivery is not sent again,
because the claim took a lease and no lock is held during the POST."""

from __future__ import annotations

import pytest
from django.db import connection

from opsdesk.channels import sending, services
from opsdesk.channels.models import Attempt, Delivery
from tests.channels.factories import make_endpoint, message

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_worker_does_not_send_a_delivery_being_sent(receiver):
    endpoint, secret = make_endpoint(receiver.url("/hook"))
    receiver.secrets["/hook"] = secret
    services.publish("incident.updated", message("incident.updated"))
    delivery = Delivery.objects.get(endpoint=endpoint)
    second: list[object] = []

    def second_worker() -> None:  # runs in the receiver's thread, during the first worker's POST
        try:
            second.append(sending.attempt(delivery.pk))
            second.append(sending.deliver_due())
            second.append(Delivery.objects.get(pk=delivery.pk).state)
        except BaseException as exc:  # reported below
            second.append(exc)
        finally:
            connection.close()

    receiver.hooks["/hook"] = second_worker
    assert sending.deliver_due() == 1
    assert second == [None, 0, "pending"]  # leased, not locked: readable, and not sent twice
    assert len(receiver.on("/hook")) == 1 and receiver.on("/hook")[0].verified
    assert Attempt.objects.count() == 1 and Delivery.objects.get(pk=delivery.pk).state == "delivered"
