"""Hand one page to its channel: email through Django's mail (SMTP), chat/webhook through channels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from opsdesk.channels import services as channels
from opsdesk.channels.messages import Action, Message, Style
from opsdesk.core import replies
from opsdesk.core.mailtemplates import rendering as mailtemplates

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


def email_context(page: Page, message: Message) -> dict[str, Any]:
    """The variables of the "paging.page" email (core.mailtemplates.defaults documents them)."""
    incident = page.escalation.incident
    actions = [{"label": a.label, "url": a.url} for a in message.actions]
    return {
        "person_name": page.person.get_full_name() or page.person.get_username(),
        "incident_ref": f"INC-{incident.pk}", "incident_id": incident.pk, "severity": incident.get_severity_display(),
        "title": incident.title, "summary": incident.summary or "", "state": incident.state, "url": message.url,
        "actions": actions, "acknowledge_url": next((a["url"] for a in actions if a["label"] == "Acknowledge"), ""),
        "step": page.position + 1, "attempt": page.cycle + 1,
    }


def email_text(page: Page, message: Message) -> tuple[str, str]:
    """The page's subject and body: the stored wording for responders, else the shipped one."""
    return mailtemplates.render("paging.page", "responders", email_context(page, message))


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
    subject, body = email_text(page, message)
    EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
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
