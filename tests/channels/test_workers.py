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


def test_a_second_worker_does_not_post_a_second_slack_card_for_a_thread_being_posted(receiver, settings):
    from opsdesk.channels.models import SlackMessage
    from tests.channels.slackapi import TOKEN, install

    settings.OPSDESK_SLACK_BOT_TOKEN = TOKEN
    slack_api = install(receiver)
    endpoint, _ = make_endpoint(slack_api.base, kind="slack_app", slack_channel="C0OPS")
    services.publish("incident.opened", message("incident.opened", status="open"))
    services.publish("incident.acknowledged", message("incident.acknowledged", status="acknowledged"))
    first, later = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
    second: list[object] = []

    def second_worker() -> None:  # during the first worker's chat.postMessage
        try:
            second.append(sending.attempt(later.pk))
            second.append(sending.deliver_due())
            second.append(Delivery.objects.get(pk=later.pk).state)
        except BaseException as exc:  # reported below
            second.append(exc)
        finally:
            connection.close()

    receiver.hooks["/api/chat.postMessage"] = second_worker
    assert sending.attempt(first.pk).state == "delivered"
    assert second == [None, 0, "pending"]  # the thread's card is being posted: the later delivery waits
    assert sending.deliver_due() == 1  # made due when the first one settled: it edits the card
    assert [m for m, _b in slack_api.calls] == ["chat.postMessage", "chat.update"] and slack_api.problems == []
    [ts] = slack_api.messages
    assert SlackMessage.objects.get().ts == ts and slack_api.method("chat.update")[0]["ts"] == ts
    assert Delivery.objects.get(pk=later.pk).state == "delivered"
