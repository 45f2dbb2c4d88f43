"""The answer to an unknown sender, through the real listener, worker and SMTP server: today's
text with no stored wording, the stored "inbound.unknown_sender" wording (public) once set."""

from __future__ import annotations

import pytest

from opsdesk.core.mailtemplates import services as wording
from tests import factories as f

from .conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = """Hello,

Thank you for your email. We could not match your address to an account, so a person at our
service desk will look at your message and get back to you.

If you are a client of ours, please write from the address we know you by, or use the portal:
{portal}

This is an automatic answer; you will not receive another one for 24 hours.
"""


def _text(message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")


@pytest.mark.parametrize(("subject", "answered"), [("Quote please", "Re: Quote please"),
                                                   ("RE: earlier", "RE: earlier"), ("", "We received your email")])
def test_an_empty_table_answers_with_todays_text(listener, compose, outbox, mail_settings, subject, answered):
    listener.send(compose("stranger@unknown.example", subject, "How much?"))
    run_worker()
    (_to, answer), = outbox.messages
    assert answer["Subject"] == answered
    assert _text(answer) == TODAY.format(portal=f"{mail_settings.BASE_URL}/work/portal/")


def test_stored_wording_is_the_answer(listener, compose, outbox, mail_settings):
    wording.set_override("inbound.unknown_sender", "public", actor=f.make_user("admin"),
                         subject="{{ reply_subject|default:'Thanks for writing' }} [Northgate desk]",
                         body="We got your note about {{ original_subject }}, {{ sender }}.\nPortal: {{ portal }}\n")
    listener.send(compose("stranger@unknown.example", "Printer", "It jams."))
    run_worker()
    (_to, answer), = outbox.messages
    assert answer["Subject"] == "Re: Printer [Northgate desk]"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert _text(answer) == (f"We got your note about Printer, stranger@unknown.example.\n"
                             f"Portal: {mail_settings.BASE_URL}/work/portal/\n")
