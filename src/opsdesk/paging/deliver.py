"""Hand one page to its channel: email through Django's mail (SMTP), chat/webhook through channels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from opsdesk.channels import services as channels
from opsdesk.channels.messages import Action, Message, Style
from opsdesk.core import replies

from . import links
from .models import Page

BUTTONS: tuple[tuple[str, str, Style], ...] = (
    ("acknowledge", "Acknowledge", "primary"), ("escalate", "Escalate", "danger"),
    ("resolve", "Resolve", "default"), ("open", "Open", "default"),
)


def links_for(pages: list[Page]) -> list[dict[str, str]]:
    """The one-click action URLs of each page (their tokens stored in one INSERT)."""
    return links.actions_for_many([(p.escalation.incident, p.person, p) for p in pages], tuple(b[0] for b in BUTTONS))


def message_for(page: Page, urls: dict[str, str] | None = None) -> Message:
    """What the page says, with its one-click actions (acknowledge, escalate, resolve, open)."""
    incident = page.escalation.incident
    buttons = BUTTONS
    urls = urls or links_for([page])[0]
    actions = tuple(Action(label=label, url=urls[action], style=style) for action, label, style in buttons)
    return Message(
        event="incident.paged", title=f"[INC-{incident.pk}] {incident.get_severity_display()} {incident.title}",
        summary=incident.summary, severity=incident.severity, status=incident.state,
        url=f"{settings.BASE_URL}/incidents/{incident.pk}/", actions=actions, thread_key=f"incident:{incident.pk}",
        fields=(("Step", str(page.position + 1)), ("Attempt", str(page.cycle + 1))),
    )


def email_body(page: Page, message: Message) -> str:
    """A plain-language page: what happened, what we ask, the links."""
    incident = page.escalation.incident
    lines = [
        f"Hello {page.person.get_full_name() or page.person.get_username()},",
        "",
        f"You are being paged for INC-{incident.pk}, a {incident.get_severity_display()} incident: {incident.title}.",
        incident.summary or "",
        "",
        "Please acknowledge it if you are taking it; otherwise the next person on the escalation will be paged.",
        "",
    ]
    lines += [f"{a.label}: {a.url}" for a in message.actions]
    lines += ["", "Each link works once and expires after a day. Acknowledging needs no login;",
              "you can also reply to this email with the single word \"ack\"."]
    return "\n".join(lines)


def message_id(page: Page) -> str:
    """A Message-ID derived from the idempotency key (a retried send is recognisably the same mail)."""
    return f"<paging.{page.idempotency_key.replace(':', '.')}@opsdesk>"


def send_email(page: Page, connection: Any, urls: dict[str, str] | None = None) -> str:
    """Email the page; returns the detail to keep."""
    message = message_for(page, urls)
    address = page.address or page.person.email
    if not address:
        raise ValueError(f"{page.person.get_username()} has no email address")
    incident = page.escalation.incident
    EmailMessage(
        subject=message.title, body=email_body(page, message), from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address], headers={"Message-ID": message_id(page)}, connection=connection,
        reply_to=[replies.reply_address(incident, page.person)],  # "ack" in a reply acknowledges (opsdesk mail)
    ).send()
    return f"emailed {address}"


def _via_channel(page: Page, urls: dict[str, str] | None = None) -> str:
    """Chat and webhook methods go through channels.send_to (the one seam to channels)."""
    endpoint = page.endpoint
    if endpoint is None:
        raise ValueError("no channel endpoint (removed?)")
    delivery = channels.send_to(endpoint, message_for(page, urls), event="incident.paged",
                                        idempotency_key=page.idempotency_key)
    return f"handed to {page.kind} endpoint {page.endpoint_id} (delivery {getattr(delivery, 'pk', '?')})"


def deliver(page: Page, connection: Any, urls: dict[str, str] | None = None) -> str:
    """Send the page by its method; returns a detail, raises on failure."""
    if page.kind == "email":
        return send_email(page, connection, urls)
    return _via_channel(page, urls)
