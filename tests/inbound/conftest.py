"""Fixtures of the inbound mail tests: the listener `opsdesk mail` runs, on a free loopback port in
a thread; a real SMTP server (aiosmtpd) capturing what opsdesk sends; the worker."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from opsdesk.inbound.listener import MailController
from tests.core.test_notify import Inbox, free_port

DOMAIN = "desk.example.test"


@pytest.fixture
def outbox(settings: Any) -> Iterator[Inbox]:
    """What opsdesk sends (answers, notification emails), received by a real SMTP server."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OPSDESK_EMAIL_ENABLED = False  # only the answers: notifications stay in the inbox
    settings.DEFAULT_FROM_EMAIL = f"opsdesk <desk@{DOMAIN}>"
    try:
        yield inbox
    finally:
        controller.stop()


class Listener:
    """The running listener: its port, and a sender speaking SMTP or LMTP to it."""

    def __init__(self, port: int, lmtp: bool) -> None:
        self.port, self.lmtp = port, lmtp

    def send(self, msg: EmailMessage, *, mail_from: str | None = None, to: list[str] | None = None) -> Any:
        """Send; the server's answer to the message (smtplib's dict of refused recipients)."""
        cls = smtplib.LMTP if self.lmtp else smtplib.SMTP
        with cls("127.0.0.1", self.port, timeout=10) as client:
            return client.send_message(msg, from_addr=mail_from, to_addrs=to)


@pytest.fixture
def mail_settings(settings: Any) -> Any:
    settings.OPSDESK_MAIL_DOMAINS = [DOMAIN]
    settings.BASE_URL = "http://opsdesk.example.test"
    return settings


def _listener(lmtp: bool) -> Iterator[Listener]:
    controller = MailController(host="127.0.0.1", port=free_port(), lmtp=lmtp)
    controller.start()
    try:
        yield Listener(controller.port, lmtp)
    finally:
        controller.stop()


@pytest.fixture
def listener(mail_settings: Any, tmp_path: Any) -> Iterator[Listener]:
    mail_settings.OPSDESK_MAIL_FILES_DIR = tmp_path / "inbound"
    yield from _listener(False)


@pytest.fixture
def lmtp_listener(mail_settings: Any, tmp_path: Any) -> Iterator[Listener]:
    mail_settings.OPSDESK_MAIL_FILES_DIR = tmp_path / "inbound"
    yield from _listener(True)


def run_worker() -> None:
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


@pytest.fixture
def compose() -> Callable[..., EmailMessage]:
    def build(sender: str, subject: str, body: str, *, to: str = f"desk@{DOMAIN}", **headers: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, subject
        msg["Message-ID"] = f"<m{abs(hash((sender, subject, body)))}@client.example.test>"
        for name, value in headers.items():
            msg[name.replace("_", "-")] = value
        msg.set_content(body)
        return msg

    return build
