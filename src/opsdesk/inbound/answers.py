"""Automatic answers to inbound mail, sent by a task after the processing commits, through
Django's mail (real SMTP), marked `Auto-Submitted: auto-replied` (RFC 3834) and threaded
(In-Reply-To, References) so the sender's client shows them with their message. The wording is
"inbound.unknown_sender" for the public audience (core.mailtemplates: shipped, or stored)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from opsdesk.core.mailtemplates import rendering as mailtemplates

from . import rules
from .models import InboundMessage


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
    original = message.subject.strip()
    reply = original if original.lower().startswith("re:") else f"Re: {original}" if original else ""
    subject, body = mailtemplates.render("inbound.unknown_sender", "public", {
        "reply_subject": reply, "original_subject": original, "sender": message.sender,
        "portal": f"{settings.BASE_URL}{reverse('workorders:portal')}",
    })
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply",
               "Message-ID": own_message_id()}
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
        headers["References"] = message.message_id
    mail = EmailMessage(subject=subject[:200], body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[message.sender], headers=headers)
    mail.send()
    return True
