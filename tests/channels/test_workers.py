"""Two workers sweeping the same due deliveries at once (real threads, real database connections,
on SQLite and on PostgreSQL): each delivery is POSTed exactly once, because a claim takes a lease
before the slow receiver answers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from opsdesk.channels import sending, services
from opsdesk.channels.models import Attempt, Delivery
from tests.channels.factories import make_endpoint, message

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_send_each_delivery_once(receiver):
    endpoint, secret = make_endpoint(receiver.url("/hook"))
    receiver.secrets["/hook"] = secret
    receiver.delays["/hook"] = 0.2
    for n in range(8):
        services.publish("incident.updated", message("incident.updated", title=f"update {n}"))
    done: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            done.append(sending.deliver_due())
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(done) == 8
    ids = [r.headers["webhook-id"] for r in receiver.on("/hook")]
    assert len(ids) == len(set(ids)) == 8 and all(r.verified for r in receiver.on("/hook"))
    assert Attempt.objects.count() == 8
    assert set(Delivery.objects.filter(endpoint=endpoint).values_list("state", flat=True)) == {"delivered"}
