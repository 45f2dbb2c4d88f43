"""Notifications: inbox row plus email sent by the worker through a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from opsdesk.core import notify
from opsdesk.core.models import Notification
from opsdesk.core.tasks import send_notification_email
from tests import factories as f


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OPSDESK_EMAIL_ENABLED = True
    try:
        yield inbox
    finally:
        controller.stop()


def run_worker() -> None:
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


# transactional_db: the notification commits for real before the worker runs, as in production.
@pytest.mark.django_db(transaction=True)
def test_notification_is_emailed_once_by_the_worker(smtp: Inbox):
    user = f.make_user("engineer", email="erin@example.test")
    silent = f.make_user("engineer", email="")
    with transaction.atomic():
        notify.notify(
            [user, silent, user], "Visit DC2 tomorrow", "Bring the access card.", "/sites/1"
        )
    assert smtp.messages == []  # nothing is sent inside the request; the worker sends it

    run_worker()

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["erin@example.test"]
    assert message["Subject"] == "[opsdesk] Visit DC2 tomorrow"
    assert message["To"] == "erin@example.test"
    assert "Bring the access card." in message.get_payload(decode=True).decode()
    note = Notification.objects.get(user=user)
    assert note.emailed_at is not None
    assert Notification.objects.filter(user=silent, emailed_at__isnull=True).count() == 1
    assert DBTaskResult.objects.successful().filter(task_path__endswith="send_notification_email").count() == 1

    # Running the task again (a retry, a duplicate enqueue) sends nothing more.
    send_notification_email.enqueue(note.pk)
    run_worker()
    assert len(smtp.messages) == 1
    assert DBTaskResult.objects.successful().filter(task_path__endswith="send_notification_email").count() == 2
    assert send_notification_email.call(note.pk) is False
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_notification_sends_nothing(smtp: Inbox):
    user = f.make_user("engineer", email="erin@example.test")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.notify([user], "Never happened")
        raise RuntimeError("the use case failed")
    run_worker()
    assert smtp.messages == []
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="send_notification_email").exists()


@pytest.mark.django_db(transaction=True)
def test_email_disabled_keeps_the_inbox_only(smtp: Inbox, settings):
    settings.OPSDESK_EMAIL_ENABLED = False
    user = f.make_user("engineer", email="erin@example.test")
    notify.notify([user], "Inbox only")
    run_worker()
    assert smtp.messages == []
    assert notify.unread_count(user) == 1
