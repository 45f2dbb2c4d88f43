"""Webhook deliveries against a real loopback receiver that verifies every signature with the
`standardwebhooks` package: delivered and verified, refused when tampered or expired, retried with
backoff for up to 24 h, endpoints disabled after their threshold (owner told once) or at a 410,
replays, the SSRF guard, and a client endpoint never seeing another client's events."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from opsdesk.channels import rules, sending, services, signing
from opsdesk.channels.models import Attempt, Delivery, Endpoint
from opsdesk.core import clock
from opsdesk.core.errors import InvalidInput
from opsdesk.core.models import Notification
from tests import factories as f
from tests.channels.factories import make_endpoint, message

pytestmark = pytest.mark.django_db


def _webhook(receiver, path: str = "/hook", **data):
    endpoint, secret = make_endpoint(receiver.url(path), **data)
    receiver.secrets[path] = secret
    return endpoint, secret


def test_a_published_event_is_delivered_signed_and_the_receiver_verifies_it(receiver):
    endpoint, secret = _webhook(receiver)
    assert secret.startswith("whsec_") and secret not in json.dumps(list(Endpoint.objects.values()), default=str)
    assert services.publish("incident.opened", message(), payload={"incident": 7}) == 1
    assert sending.deliver_due() == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 200
    [got] = receiver.on("/hook")
    assert got.verified is True, got.problem
    assert got.headers["webhook-id"] == delivery.message_id
    assert got.headers["content-type"] == "application/json" and got.headers["user-agent"].startswith("opsdesk")
    body = got.json
    assert body["type"] == "incident.opened" and body["data"]["incident"] == 7
    assert body["data"]["message"]["title"] == "INC-7 <EPR> down & out"
    assert body["data"]["message"]["fields"][0] == {"name": "Service", "value": "EPR"}
    assert dt.datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.answer == '{"ok": true}'
    assert sending.deliver_due() == 0  # nothing is sent twice


def test_a_tampered_body_or_an_expired_timestamp_is_refused_by_the_verifier(receiver):
    endpoint, secret = _webhook(receiver)
    services.publish("incident.opened", message())
    sending.deliver_due()
    [got] = receiver.on("/hook")
    verifier = Webhook(secret)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(got.body.replace(b"INC-7", b"INC-8"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.derive(signing.new_salt())).verify(got.body, got.headers)  # another secret
    old = clock.now() - dt.timedelta(minutes=10)
    stale = signing.headers(endpoint.secret_salt, got.headers["webhook-id"], old, got.body)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(got.body, stale)


def test_a_failing_receiver_is_retried_on_the_backoff_schedule_then_given_up_after_24_hours(receiver):
    endpoint, _ = _webhook(receiver, failure_threshold=100)
    receiver.statuses["/hook"] = [500]
    start = clock.now()
    with clock.frozen(start):
        services.publish("incident.opened", message())
    delivery = Delivery.objects.get(endpoint=endpoint)
    expected = rules.schedule(start, 50)
    assert expected[1] - expected[0] == dt.timedelta(seconds=30) and expected[2] - expected[1] == dt.timedelta(minutes=2)
    assert expected[-1] == start + dt.timedelta(hours=24)
    seen = []
    for at in expected:
        with clock.frozen(at - dt.timedelta(seconds=1)):
            if at != start:
                assert sending.deliver_due() == 0  # not due yet
        with clock.frozen(at):
            assert sending.deliver_due() == 1
        delivery.refresh_from_db()
        seen.append(at)
        assert delivery.last_status_code == 500 and delivery.last_answer == "receiver says no"
    assert delivery.state == "given_up" and delivery.next_attempt_at is None
    assert delivery.attempts == len(expected) == len(receiver.on("/hook")) == 11
    assert list(Attempt.objects.filter(delivery=delivery).values_list("at", flat=True)) == seen
    assert len({r.headers["webhook-id"] for r in receiver.on("/hook")}) == 1  # one delivery, one webhook-id
    with clock.frozen(start + dt.timedelta(days=3)):
        assert sending.deliver_due() == 0


def test_a_success_after_failures_delivers_and_resets_the_failure_count(receiver):
    endpoint, _ = _webhook(receiver)
    receiver.statuses["/hook"] = [503, 503, 204]
    start = clock.now()
    for at in rules.schedule(start, 2):
        with clock.frozen(at):
            if at == start:
                services.publish("incident.opened", message())
            sending.deliver_due()
    endpoint.refresh_from_db()
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "delivered" and delivery.attempts == 3 and endpoint.consecutive_failures == 0


def test_an_endpoint_failing_past_its_threshold_is_disabled_and_its_owner_told_once(receiver):
    owner = f.make_user("admin")
    endpoint, _ = _webhook(receiver, failure_threshold=3, actor=owner)
    receiver.statuses["/hook"] = [500]
    for _ in range(3):
        services.publish("incident.updated", message("incident.updated"))
    assert sending.deliver_due() == 3
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None and "3 failed attempts" in endpoint.disabled_reason
    assert Notification.objects.filter(user=owner, title__contains="disabled").count() == 1
    services.publish("incident.updated", message("incident.updated"))
    assert services.publish("incident.updated", message("incident.updated")) == 0  # disabled: not subscribed
    services.replay(Delivery.objects.filter(endpoint=endpoint).first(), f.make_user("admin"))
    assert Notification.objects.filter(user=owner, title__contains="disabled").count() == 1  # once
    # Enabled again: the count restarts and waiting retries go out.
    receiver.statuses["/hook"] = [200]
    services.enable_endpoint(endpoint, actor=owner)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 0
    assert sending.deliver_due() == 3
    assert set(Delivery.objects.filter(endpoint=endpoint).values_list("state", flat=True)) == {"delivered"}


def test_410_gone_disables_the_endpoint_at_once(receiver):
    owner = f.make_user("admin")
    endpoint, _ = _webhook(receiver, actor=owner)
    receiver.statuses["/hook"] = [410]
    services.publish("incident.opened", message())
    sending.deliver_due()
    endpoint.refresh_from_db()
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "given_up" and not endpoint.active and "410" in endpoint.disabled_reason
    assert Notification.objects.filter(user=owner).count() == 1


def test_a_replay_sends_the_same_delivery_again_with_the_same_webhook_id(receiver):
    endpoint, _ = _webhook(receiver)
    services.publish("incident.resolved", message("incident.resolved"))
    sending.deliver_due()
    delivery = Delivery.objects.get(endpoint=endpoint)
    again = services.replay(delivery, f.make_user("admin"))
    assert again.attempts == 2 and again.state == "delivered"
    first, second = receiver.on("/hook")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert first.body == second.body and second.verified is True
    assert [a.replay for a in Attempt.objects.filter(delivery=delivery)] == [False, True]


def test_the_ssrf_guard_refuses_loopback_unless_an_operator_allows_it(receiver, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = []
    with pytest.raises(InvalidInput, match="loopback"):
        make_endpoint(receiver.url("/hook"))
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    endpoint, _ = _webhook(receiver)
    settings.OPSDESK_OUTBOUND_ALLOW = []  # withdrawn after the endpoint was saved: judged again at the send
    services.publish("incident.opened", message())
    sending.deliver_due()
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed" and "SSRF" in delivery.last_error and delivery.last_status_code is None
    assert receiver.received == []


def test_a_client_endpoint_gets_only_its_own_clients_events_in_the_client_wording(receiver):
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    internal, _ = _webhook(receiver, "/internal")
    mine, _ = _webhook(receiver, "/a", client=a.pk)
    theirs, _ = _webhook(receiver, "/b", client=b.pk)
    assert mine.audience == "client" and internal.audience == "responders"
    plain = message(title="We are looking into slow records", summary="Updates follow.", audience="client")
    assert services.publish("incident.opened", message(), client_ids=[a.pk], client_message=plain) == 2
    assert services.publish("incident.opened", message(), client_ids=[a.pk]) == 1  # no client wording: internal only
    sending.deliver_due()
    assert len(receiver.on("/internal")) == 2 and receiver.on("/b") == []
    [got] = receiver.on("/a")
    assert got.verified and got.json["data"]["message"]["title"] == "We are looking into slow records"
    assert {r.json["data"]["message"]["title"] for r in receiver.on("/internal")} == {"INC-7 <EPR> down & out"}
    assert not Delivery.objects.filter(endpoint=theirs).exists()


def test_subscriptions_and_teams_choose_the_endpoints(receiver):
    only_changes, _ = _webhook(receiver, "/changes", events=["change.approved"])
    network, _ = _webhook(receiver, "/network", team="network")
    everything, _ = _webhook(receiver, "/all")
    assert services.publish("incident.opened", message()) == 1  # only /all: not subscribed, not the team's
    assert Delivery.objects.filter(endpoint=everything).count() == 1
    assert Delivery.objects.filter(endpoint=only_changes).count() == 0
    assert Delivery.objects.filter(endpoint=network).count() == 0
    assert services.publish("change.approved", message("change.approved"), team="network") == 3
    assert services.publish("change.approved", message("change.approved"), team="storage") == 2
    with pytest.raises(InvalidInput, match="unknown event"):
        make_endpoint(receiver.url("/x"), events=["incident.exploded"])


def test_send_to_with_the_same_idempotency_key_twice_makes_one_delivery(receiver):
    endpoint, _ = _webhook(receiver)
    first = services.send_to(endpoint, message(), event="incident.opened", idempotency_key="page:1:1:7:0")
    second = services.send_to(endpoint, message(), event="incident.opened", idempotency_key="page:1:1:7:0")
    assert first.pk == second.pk and Delivery.objects.count() == 1
    sending.deliver_due()
    assert len(receiver.on("/hook")) == 1 and receiver.on("/hook")[0].verified


def test_rotating_the_secret_signs_with_the_new_one_only(receiver):
    endpoint, old = _webhook(receiver)
    new = services.rotate_secret(endpoint, actor=f.make_user("admin"))
    assert new != old and new.startswith("whsec_")
    endpoint.refresh_from_db()
    services.publish("incident.opened", message())
    sending.deliver_due()
    [got] = receiver.on("/hook")
    assert got.verified is False  # the receiver still holds the old secret
    Webhook(new).verify(got.body, got.headers)


def test_a_test_event_is_sent_at_once_and_not_retried(receiver):
    endpoint, _ = _webhook(receiver, events=["sla.breached"])
    delivery = services.send_test(endpoint, actor=f.make_user("admin"))
    assert delivery.state == "delivered" and receiver.on("/hook")[0].json["type"] == "ping"
    receiver.statuses["/hook"] = [500]
    failed = services.send_test(endpoint, actor=f.make_user("admin"))
    assert failed.state == "given_up" and failed.next_attempt_at is None


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt_retried_later(receiver):
    endpoint, _ = _webhook(receiver, "/slow")
    receiver.delays["/slow"] = sending.TIMEOUT + 1
    services.publish("incident.opened", message())
    assert sending.deliver_due() == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed" and "timed out" in delivery.last_error and delivery.last_status_code is None
    attempt = Attempt.objects.get(delivery=delivery)
    assert sending.TIMEOUT * 1000 <= attempt.duration_ms < (sending.TIMEOUT + 1) * 1000
    assert delivery.next_attempt_at == attempt.at + rules.BACKOFF[0]


def test_publishing_writes_each_deliverys_task_in_the_same_transaction_and_the_sweep_is_periodic(receiver):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from opsdesk.channels.tasks import deliver
    from opsdesk.core import periodic

    _webhook(receiver, "/one")
    _webhook(receiver, "/two")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.publish("incident.opened", message())
        raise RuntimeError("the publisher's transaction fails")
    assert not Delivery.objects.exists() and not DBTaskResult.objects.filter(task_path__endswith=".deliver").exists()
    assert services.publish("incident.opened", message()) == 2
    queued = DBTaskResult.objects.filter(task_path__endswith="channels.tasks.deliver")
    assert sorted(r.args_kwargs["args"][0] for r in queued) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert {deliver.call(pk) for pk in Delivery.objects.values_list("pk", flat=True)} == {"delivered"}
    assert deliver.call(Delivery.objects.first().pk) == ""  # run again: nothing to do
    job = next(j for j in periodic.jobs() if j.name == "channels-deliver")
    assert job.every == 5 and job.task.name == "deliver_due"
