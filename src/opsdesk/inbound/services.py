"""Use cases of inbound mail: store a received message (before the listener says 250), process it
into exactly one outcome, retry a failed one.

Processing (`process`) is idempotent: a processed message is left as it is; a failure rolls back
whatever the message had begun to change and leaves it `failed` with the error, for a retry.
Automatic mail (auto-replies, bulk, bounces, our own messages coming back) is recorded only: never
applied, never answered. What the message became is in `outcome`, `target_*` and `detail`.
"""

from __future__ import annotations

import datetime as dt
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.html import strip_tags

from opsdesk.core import clock, timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.errors import Conflict
from opsdesk.core.replies import token_of_recipients

from . import answers, rules
from .models import InboundMessage
from .replies import Mail, apply_reply, known_contact, new_request, unknown_sender

ACTOR = SystemActor("opsdesk mail")
ANSWER_EVERY = dt.timedelta(hours=24)  # at most one answer to an unknown sender in this time


def parse(raw: bytes) -> EmailMessage:
    """The message, parsed with the modern policy (headers decoded, folded lines joined)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def recipient_allowed(address: str) -> bool:
    """Whether `opsdesk mail` takes mail for this address (its domain is one of ours)."""
    domain = address.rsplit("@", 1)[-1].strip().strip(">").lower() if "@" in address else ""
    return bool(domain) and domain in settings.OPSDESK_MAIL_DOMAINS


def _header(msg: EmailMessage, name: str, limit: int = 998) -> str:
    try:
        return str(msg.get(name, "") or "")[:limit]
    except (ValueError, TypeError, IndexError):  # a header the parser could not make sense of
        return ""


@transaction.atomic
def store_message(raw: bytes, *, mail_from: str, rcpt_to: list[str], protocol: str = "smtp") -> InboundMessage:
    """Store a received message durably (one commit) and enqueue its processing; the listener
    answers 250 only after this returns."""
    from .tasks import process_message

    try:
        msg = parse(raw)
        message_id, subject = _header(msg, "Message-ID"), _header(msg, "Subject")
        sender = rules.address_of(_header(msg, "From"))[:320]
    except Exception:  # whatever it is, it is stored and processing records why
        message_id = subject = sender = ""
    message = InboundMessage.objects.create(
        raw=raw, size=len(raw), mail_from=mail_from[:320], rcpt_to=[r[:320] for r in rcpt_to][:100],
        message_id=message_id, subject=subject, sender=sender or mail_from.lower()[:320], protocol=protocol,
        received_at=clock.now(),
    )
    process_message.enqueue(message.pk)
    return message


def body_text(msg: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part without the markup."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(text, str):
        return ""
    return strip_tags(text) if part.get_content_type() == "text/html" else text


def _own_addresses() -> list[str]:
    return [rules.address_of(settings.DEFAULT_FROM_EMAIL), rules.address_of(settings.SERVER_EMAIL)]


def _all_recipients(message: InboundMessage, msg: EmailMessage) -> list[str]:
    headers = [_header(msg, name, 10_000) for name in ("To", "Cc", "Delivered-To")]
    return list(message.rcpt_to) + [addr for _n, addr in getaddresses(headers) if addr]


def _decide(message: InboundMessage, msg: EmailMessage) -> None:
    """Work out and apply the one outcome of the message (raises to fail it)."""
    reason = rules.automatic_reason(msg, message.mail_from, _own_addresses())
    if reason:
        _done(message, InboundMessage.Outcome.IGNORED_AUTO, {"reason": reason})
        return
    mail = Mail(message=message, msg=msg, text=body_text(msg))
    token = token_of_recipients(_all_recipients(message, msg))
    target = token.target if token else rules.subject_target(message.subject)
    result = apply_reply(mail, target, token.user_id if token else None) if target else None
    if result is None and target is None:
        contact = known_contact(message.sender)
        if contact is not None:
            result = new_request(mail, contact)
    if result is None:
        result = unknown_sender(mail, foreign=target is not None)
        if result.answer and _may_answer(message):
            message.answered_at = clock.now()
            answers.send_answer_later(message)
    if mail.skipped:
        result.detail["attachments_skipped"] = mail.skipped[:100]
    _done(message, result.outcome, result.detail, result.target_type, result.target_id)


def _may_answer(message: InboundMessage) -> bool:
    """At most one answer per sender in 24 h (automatic mail never gets here)."""
    if not message.sender:
        return False
    since = clock.now() - ANSWER_EVERY
    return not InboundMessage.objects.filter(sender=message.sender, answered_at__gte=since).exclude(
        pk=message.pk).exists()


def _done(message: InboundMessage, outcome: str, detail: dict[str, Any], target_type: str = "",
          target_id: int | None = None) -> None:
    message.state, message.outcome, message.detail = InboundMessage.State.PROCESSED, outcome, detail
    message.target_type, message.target_id = target_type, target_id
    message.processed_at, message.error = clock.now(), ""
    message.save()
    timeline.record(message, "processed", actor=ACTOR, summary=f"{message.get_outcome_display()}",
                    changes={"outcome": outcome})


def process(message_id: int) -> InboundMessage:
    """Process one stored message into its outcome (idempotent; a failure leaves it failed)."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state == InboundMessage.State.PROCESSED:
            return message
        message.attempts += 1
        try:
            with transaction.atomic():
                _decide(message, parse(bytes(message.raw)))
            return message
        except Exception as exc:  # recorded on the message, retryable
            error = f"{type(exc).__name__}: {exc}"[:5000]
        InboundMessage.objects.filter(pk=message.pk).update(
            state=InboundMessage.State.FAILED, error=error, attempts=message.attempts, outcome="",
            processed_at=clock.now(), answered_at=None)
        message.refresh_from_db()
        timeline.record(message, "failed", actor=ACTOR, summary=error[:500])
        return message


def retry(message: InboundMessage, *, actor: Actor) -> InboundMessage:
    """Process a failed (or not yet processed) message again (409 if it already has its outcome)."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state == InboundMessage.State.PROCESSED:
            raise Conflict(f"Message {locked.pk} is already processed ({locked.get_outcome_display()}).")
        timeline.record(locked, "retried", actor=actor, summary="Processing retried")
    return process(message.pk)


def process_pending(limit: int | None = None, *, older_than_seconds: float = 0) -> dict[str, int]:
    """Process every stored message not processed yet (received, not failed; received at least
    `older_than_seconds` ago); counts by state."""
    pending = InboundMessage.objects.filter(state=InboundMessage.State.RECEIVED)
    if older_than_seconds:
        pending = pending.filter(received_at__lte=clock.now() - dt.timedelta(seconds=older_than_seconds))
    ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    done: dict[str, int] = {}
    for pk in ids:
        state = process(pk).state
        done[state] = done.get(state, 0) + 1
    return done
