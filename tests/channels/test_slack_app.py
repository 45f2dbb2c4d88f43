"""Slack app endpoints against a loopback Slack Web API (tests/channels/slackapi.py) that checks the
documented shapes: an incident's card is posted once (chat.postMessage) and then edited in place
(chat.update with the answered ts) as the incident is acknowledged and resolved; a thread's
deliveries go one at a time and in order; ok:false and 429 are failed attempts retried (429 after
its Retry-After); no bot token is a recorded failure; the API, form and CLI take the new kind."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client as Browser

from opsdesk.channels import sending, services
from opsdesk.channels.models import Attempt, Delivery, Endpoint, SlackMessage
from opsdesk.core import clock
from opsdesk.incidents import services as incident_services
from tests import factories as f
from tests.channels.factories import make_endpoint, message
from tests.channels.slackapi import TOKEN, install

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack_api(receiver, settings):
    settings.OPSDESK_SLACK_BOT_TOKEN = TOKEN
    return install(receiver)


def _app(slack_api, **data) -> Endpoint:
    return make_endpoint(slack_api.base, kind="slack_app", slack_channel="C0OPS", **data)[0]


def _status_of(body: dict) -> str:
    context = next(b for b in body["blocks"] if b["type"] == "context")
    return context["elements"][0]["text"]


def test_an_incident_opened_acknowledged_and_resolved_is_one_card_edited_in_place(slack_api):
    endpoint = _app(slack_api)
    commander = f.make_user("incident_commander")
    service = f.make_service(f.make_client(), name="EPR")
    incident = incident_services.declare_incident(
        {"title": "EPR down", "summary": "Clinicians cannot open records", "severity": "sev1",
         "services": [service.pk]}, actor=commander)
    assert sending.deliver_due() == 1
    [posted] = slack_api.method("chat.postMessage")
    assert posted["channel"] == "C0OPS" and posted["blocks"][0]["text"]["text"] == f"INC-{incident.pk} EPR down"
    thread = SlackMessage.objects.get(endpoint=endpoint, thread_key=f"incident:{incident.pk}")
    [ts] = slack_api.messages
    assert (thread.channel, thread.ts) == ("C0OPS", ts)

    incident = incident_services.transition_incident(incident, "acknowledged", actor=commander)
    incident_services.transition_incident(incident, "resolved", actor=commander, reason="Failover")
    sending.deliver_due()
    assert slack_api.problems == []
    assert len(slack_api.method("chat.postMessage")) == 1  # one card
    updates = slack_api.method("chat.update")
    assert [(u["channel"], u["ts"]) for u in updates] == [("C0OPS", ts), ("C0OPS", ts)]
    card = slack_api.messages[ts]
    assert [_status_of(v) for v in card.versions] == [
        "Severity: *SEV1* · Status: *Triggered*", "Severity: *SEV1* · Status: *Acknowledged*",
        "Severity: *SEV1* · Status: *Resolved*"]
    deliveries = list(Delivery.objects.filter(endpoint=endpoint).order_by("pk"))
    assert [(d.event, d.state) for d in deliveries] == [
        ("incident.opened", "delivered"), ("incident.acknowledged", "delivered"), ("incident.resolved", "delivered")]
    assert '"ok":' in deliveries[0].last_answer.replace(" ", "") and len(deliveries[0].last_answer) <= 2048
    assert SlackMessage.objects.get(pk=thread.pk).updated_at is not None
    assert TOKEN not in str(list(Attempt.objects.values()))  # the token is never recorded


def test_another_thread_or_a_ping_posts_its_own_message(slack_api):
    endpoint = _app(slack_api)
    services.publish("incident.opened", message(thread_key="incident:1"))
    services.publish("incident.opened", message(thread_key="incident:2"))
    sending.deliver_due()
    services.send_test(endpoint, actor=f.make_user("admin"))
    assert len(slack_api.method("chat.postMessage")) == 3 and slack_api.method("chat.update") == []
    assert SlackMessage.objects.filter(endpoint=endpoint).count() == 2  # a ping has no thread


def test_a_threads_later_delivery_waits_for_the_first_then_follows_in_order(slack_api):
    endpoint = _app(slack_api)
    start = clock.now()
    with clock.frozen(start):
        for event, status in (("incident.opened", "open"), ("incident.acknowledged", "acknowledged"),
                              ("incident.resolved", "resolved")):
            services.publish(event, message(event, status=status))
        first, second, third = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
        assert sending.attempt(third.pk) is None and sending.attempt(second.pk) is None  # waiting, not sent
        assert slack_api.calls == [] and Attempt.objects.count() == 0
        third.refresh_from_db()
        assert third.state == "pending" and third.next_attempt_at > start
        assert sending.attempt(first.pk).state == "delivered"
        second.refresh_from_db()
        assert second.next_attempt_at == start  # made due (and its task enqueued) by the first one settling
        assert sending.deliver_due() == 1
        third.refresh_from_db()
        assert third.next_attempt_at == start  # and so on along the thread
        assert sending.deliver_due() == 1
    assert [m for m, _b in slack_api.calls] == ["chat.postMessage", "chat.update", "chat.update"]
    [card] = slack_api.messages.values()
    assert _status_of(card.body).endswith("*resolved*")


def test_ok_false_is_a_failed_attempt_recorded_and_retried(slack_api):
    endpoint = _app(slack_api)
    slack_api.refusals.append("not_in_channel")
    start = clock.now()
    with clock.frozen(start):
        services.publish("incident.opened", message())
        assert sending.deliver_due() == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed" and delivery.last_status_code == 200
    assert delivery.last_error == "Slack chat.postMessage: not_in_channel" and "not_in_channel" in delivery.last_answer
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    assert not SlackMessage.objects.exists() and Endpoint.objects.get().consecutive_failures == 1
    with clock.frozen(start + dt.timedelta(seconds=30)):
        assert sending.deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 2 and delivery.last_error == ""
    assert SlackMessage.objects.filter(endpoint=endpoint).exists() and Endpoint.objects.get().consecutive_failures == 0


def test_a_rate_limited_call_waits_for_its_retry_after(slack_api):
    endpoint = _app(slack_api)
    slack_api.rate_limited.append(300)
    start = clock.now()
    with clock.frozen(start):
        services.publish("incident.opened", message())
        sending.deliver_due()
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed" and delivery.last_status_code == 429
    assert delivery.last_error == "Slack chat.postMessage: ratelimited"
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=300)  # not the 30 s backoff
    with clock.frozen(start + dt.timedelta(seconds=60)):
        assert sending.deliver_due() == 0
    with clock.frozen(start + dt.timedelta(seconds=300)):
        assert sending.deliver_due() == 1
    assert Delivery.objects.get(pk=delivery.pk).state == "delivered"


def test_a_card_deleted_in_slack_is_posted_again(slack_api):
    endpoint = _app(slack_api)
    start = clock.now()
    with clock.frozen(start):
        services.publish("incident.opened", message())
        sending.deliver_due()
        slack_api.messages.clear()  # someone deleted the message in Slack
        services.publish("incident.acknowledged", message("incident.acknowledged", status="acknowledged"))
        sending.deliver_due()
    ack = Delivery.objects.filter(endpoint=endpoint).order_by("pk").last()
    assert ack.state == "failed" and "message_not_found" in ack.last_error
    assert not SlackMessage.objects.exists()
    with clock.frozen(start + dt.timedelta(seconds=30)):
        sending.deliver_due()
    assert Delivery.objects.get(pk=ack.pk).state == "delivered"
    assert len(slack_api.method("chat.postMessage")) == 2 and SlackMessage.objects.get().ts in slack_api.messages


def test_no_bot_token_is_a_recorded_failure_and_nothing_is_sent(slack_api, settings):
    settings.OPSDESK_SLACK_BOT_TOKEN = ""
    endpoint = _app(slack_api)
    services.publish("incident.opened", message())
    assert sending.deliver_due() == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed" and delivery.last_status_code is None
    assert "OPSDESK_SLACK_BOT_TOKEN" in delivery.last_error and delivery.next_attempt_at is not None
    assert "OPSDESK_SLACK_BOT_TOKEN" in Attempt.objects.get().error
    assert slack_api.receiver.received == []
    browser = Browser()
    browser.force_login(f.make_user("admin"))
    page = browser.get(f"/channels/{endpoint.pk}/").content.decode()
    assert 'data-testid="no-token"' in page and "OPSDESK_SLACK_BOT_TOKEN" in delivery.last_error


def test_the_api_creates_a_slack_app_endpoint_and_refuses_one_without_a_channel(admin_api, slack_api):
    made = admin_api.post("webhooks", {"name": "Ops Slack", "kind": "slack_app", "slack_channel": "C0OPS"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["kind"] == "slack_app" and body["slack_channel"] == "C0OPS" and body["url"] == "https://slack.com/api"
    assert body["secret"] == "" and body["signed"] is False
    assert admin_api.post(f"webhooks/{body['id']}/rotate-secret").status_code == 409
    changed = admin_api.patch(f"webhooks/{body['id']}", {"slack_channel": "C0NEW"})
    assert changed.status_code == 200 and changed.json()["slack_channel"] == "C0NEW"
    for bad in ({"name": "No channel", "kind": "slack_app"},
                {"name": "Blank", "kind": "slack_app", "slack_channel": " "},
                {"name": "Spaces", "kind": "slack_app", "slack_channel": "ops team"}):
        answer = admin_api.post("webhooks", bad)
        assert answer.status_code == 422, answer.content
        assert answer["Content-Type"].startswith("application/problem+json") and "slack_channel" in answer.content.decode()
    assert admin_api.patch(f"webhooks/{body['id']}", {"slack_channel": ""}).status_code == 422
    assert Endpoint.objects.count() == 1 and Endpoint.objects.get().slack_channel == "C0NEW"


def test_the_form_and_the_cli_add_a_slack_app_endpoint(slack_api):
    browser = Browser()
    browser.force_login(f.make_user("admin"))
    page = browser.post("/channels/new/", {"name": "Desk", "kind": "slack_app", "url": "", "failure_threshold": 10})
    assert page.status_code == 400 and "required for a Slack app endpoint" in page.content.decode()
    page = browser.post("/channels/new/", {"name": "Desk", "kind": "slack_app", "url": slack_api.base,
                                           "slack_channel": "C0DESK", "failure_threshold": 10})
    assert page.status_code == 200 and "C0DESK" in page.content.decode()
    out = io.StringIO()
    call_command("webhook", "add", "Ops Slack", "--kind", "slack_app", "--channel", "C0OPS", stdout=out)
    assert "slack_app" in out.getvalue()
    cli = Endpoint.objects.get(name="Ops Slack")
    assert (cli.url, cli.slack_channel) == ("https://slack.com/api", "C0OPS")
    services.publish("incident.opened", message(), )
    Endpoint.objects.filter(pk=cli.pk).update(url=slack_api.base)
    assert sending.deliver_due() == 2
    assert sorted(b["channel"] for b in slack_api.method("chat.postMessage")) == ["C0DESK", "C0OPS"]
