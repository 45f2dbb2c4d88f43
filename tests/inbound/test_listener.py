"""The listener itself: stored before 250, 550 outside our domains, 552 above the size limit, LMTP."""

from __future__ import annotations

import smtplib

import pytest

from opsdesk.inbound.models import InboundMessage
from tests import factories as f

from .conftest import DOMAIN


@pytest.mark.django_db(transaction=True)
def test_a_message_is_stored_before_250_and_queued(listener, compose):
    refused = listener.send(compose("someone@else.example", "Hello", "Hi there"))
    assert refused == {}
    message = InboundMessage.objects.get()
    assert message.state == "received"
    assert message.subject == "Hello" and message.sender == "someone@else.example"
    assert message.rcpt_to == [f"desk@{DOMAIN}"]
    assert b"Hi there" in bytes(message.raw)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="opsdesk.inbound.tasks.process_message").count() == 1


@pytest.mark.django_db(transaction=True)
def test_recipient_outside_the_domains_is_refused_550(listener, compose):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        listener.send(compose("a@client.example", "Hi", "x", to="someone@elsewhere.example"))
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_oversize_is_refused_552(listener, compose, settings):
    settings.OPSDESK_MAIL_MAX_BYTES = 2000
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as refused:
        listener.send(compose("a@client.example", "Big", "x" * 5000))
    assert refused.value.smtp_code == 552
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_lmtp_delivery_is_stored(lmtp_listener, compose):
    f.make_client()
    assert lmtp_listener.send(compose("b@client.example", "Via LMTP", "Delivered by Postfix")) == {}
    assert InboundMessage.objects.get().protocol == "lmtp"


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_once_per_recipient(lmtp_listener, compose):
    msg = compose("b@client.example", "Two recipients", "x")
    with smtplib.LMTP("127.0.0.1", lmtp_listener.port, timeout=10) as client:
        client.ehlo()  # smtplib.LMTP sends LHLO
        client.mail("b@client.example")
        client.rcpt(f"desk@{DOMAIN}")
        client.rcpt(f"other@{DOMAIN}")
        first = client.data(msg.as_bytes())
        second = client.getreply()
    assert first[0] == 250 and f"desk@{DOMAIN}".encode() in first[1]
    assert second[0] == 250 and f"other@{DOMAIN}".encode() in second[1]
    assert InboundMessage.objects.get().rcpt_to == [f"desk@{DOMAIN}", f"other@{DOMAIN}"]
