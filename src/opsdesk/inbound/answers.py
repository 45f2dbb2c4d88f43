"""Automatic answers to inbound mail, sent by a task after the processing commits, through
Django's mail (real SMTP), marked `Auto-Submitted: auto-replied` (RFC 3834) and threaded
(In-Reply-To, References) so the sender's client shows them with their message."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from . import rules
from .models import InboundMessage

UNKNOWN_SUBJECT = "We received your email"
UNKNOWN_BODY = """Hello,

Thank you for your email. We could not match your address to an account, so a person at our
service desk will look at your message and get back to you.

If you are a client of ours, please write from the address we know you by, or use the portal:
{portal}

This is an automatic answer; you will not receive another one for 24 hours.
"""


def own_message_id() -> str:
    """A Message-ID of ours: one coming back in is recognised as a loop (rules.OWN_ID_PREFIX)."""
    domain = settings.OPSDESK_MAIL_DOMAINS[0] if settings.OPSDESK_MAIL_DOMAINS else "localhost"
    return f"<{rules.OWN_ID_PREFIX}{secrets.token_hex(12)}@{domain}>"


def send_answer_later(message: InboundMessage) -> None:
    """Enqueue the answer to an unknown sender (inside the processing's transaction)."""
    from .tasks import send_answer

    send_answer.enqueue(message.pk)


def answer_unknown_sender(message: InboundMessage) -> bool:
    """Send the polite answer to the message's sender; False if there is nobody to send it to."""
    if not message.sender or "@" not in message.sender:
        return False
    subject = message.subject.strip()
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}" if subject else UNKNOWN_SUBJECT
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply",
               "Message-ID": own_message_id()}
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
        headers["References"] = message.message_id
    mail = EmailMessage(subject=subject[:200], body=UNKNOWN_BODY.format(portal=f"{settings.BASE_URL}{reverse('workorders:portal')}"),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[message.sender], headers=headers)
    mail.send()
    return True
