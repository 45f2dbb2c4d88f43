"""What an inbound message becomes: a comment on a work order, an acknowledgement or an update
request on an incident, a new request of a client, or a notice of an unknown sender.

Who the sender is: the person of a reply token, else the active user with the From address. They
must be allowed to see what they answer (core.tenancy), or the message is treated as from an
unknown sender, saying nothing of the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q

from opsdesk.accounts.models import User
from opsdesk.core import notify, timeline
from opsdesk.core.tenancy import scope
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents.models import Incident, IncidentRole
from opsdesk.paging import services as paging_services
from opsdesk.paging.models import Page
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client
from opsdesk.workorders import queries as workorder_queries
from opsdesk.workorders import services as workorder_services
from opsdesk.workorders.models import CATEGORIES, WorkOrder

from . import rules
from .models import InboundAttachment, InboundMessage

DEFAULT_CATEGORY = "remote_hands"  # a request naming no kind of work: the desk corrects it in triage
DESK_ROLES = (User.Role.SERVICE_DESK, User.Role.DISPATCHER)
Outcome = InboundMessage.Outcome


@dataclass
class Mail:
    """A message being processed: its row, the parsed message and its text."""

    message: InboundMessage
    msg: EmailMessage
    text: str
    skipped: list[str] = field(default_factory=list)  # attachments over the count limit (recorded)


@dataclass
class Result:
    """The outcome of a message, what it became and what was found."""

    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
    target_type: str = ""
    target_id: int | None = None
    answer: bool = False


@dataclass(frozen=True)
class Contact:
    """A known client contact: a client user, or (no user) the client's contact address."""

    client: Client
    user: User | None


def _link(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def keep_attachments(mail: Mail) -> list[InboundAttachment]:
    """Store the message's attachments (once; up to OPSDESK_MAIL_MAX_ATTACHMENTS)."""
    message = mail.message
    kept = list(message.attachments.all())
    if kept:
        return kept
    for part in mail.msg.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        name = (part.get_filename() or "attachment").replace("/", "_").replace("\\", "_")[:200]
        if len(kept) >= settings.OPSDESK_MAIL_MAX_ATTACHMENTS:
            mail.skipped.append(name)
            continue
        row = InboundAttachment(message=message, filename=name, content_type=part.get_content_type()[:255],
                                size=len(payload))
        row.file.save(f"{message.pk}-{name}", ContentFile(payload), save=False)
        row.save()
        kept.append(row)
    return kept


def _with_attachments(text: str, attachments: list[InboundAttachment]) -> str:
    if not attachments:
        return text
    lines = [f"- {a.filename} ({a.content_type}, {a.size} bytes): "
             f"{_link(f'/inbound/{a.message_id}/attachments/{a.pk}/')}" for a in attachments]
    return f"{text}\n\nAttachments:\n" + "\n".join(lines)


def _person(mail: Mail, token_user_id: int | None) -> User | None:
    users = User.objects.filter(is_active=True)
    if token_user_id is not None:
        return users.filter(pk=token_user_id).first()
    if not mail.message.sender:
        return None
    return users.filter(email__iexact=mail.message.sender).order_by("id").first()


def apply_reply(mail: Mail, target: rules.Target, token_user_id: int | None) -> Result | None:
    """A reply to a work order or an incident; None if the sender is unknown or may not see it."""
    person = _person(mail, token_user_id)
    if person is None:
        return None
    text = rules.reply_text(mail.text)
    if target.kind == "workorder":
        wo = scope(WorkOrder.objects.filter(pk=target.id), person).first()
        return None if wo is None else _comment(mail, wo, person, text)
    incident = scope(Incident.objects.filter(pk=target.id), person).first()
    return None if incident is None else _incident_reply(mail, incident, person, text)


def _comment(mail: Mail, wo: WorkOrder, person: User, text: str) -> Result:
    body = _with_attachments(text or "(no text)", keep_attachments(mail))
    comment = workorder_services.add_comment(wo, body, actor=person)
    return Result(Outcome.COMMENT, {"comment": comment.pk, "visibility": comment.visibility, "by": person.pk},
                  "workorder", wo.pk)


def _incident_reply(mail: Mail, incident: Incident, person: User, text: str) -> Result:
    if rules.is_ack(text) and may_acknowledge(incident, person):
        before = incident.state
        if before in incident_rules.OPEN_STATES:  # stops the escalation (also of a reopened incident)
            paging_services.acknowledge(incident, actor=person, reason="by email reply")
        if before == Incident.State.TRIGGERED:
            return Result(Outcome.ACKNOWLEDGED, {"by": person.pk}, "incident", incident.pk)
        timeline.record(incident, "ack_by_email", actor=person,
                        summary=f"Acknowledged by email reply (already {before})")
        return Result(Outcome.ACKNOWLEDGED, {"by": person.pk, "already": before}, "incident", incident.pk)
    attachments = keep_attachments(mail)
    summary = _with_attachments(text or "(no text)", attachments)
    timeline.record(incident, "update_requested", actor=person, summary=f"Update request by email: {summary}"[:2000],
                    changes={"inbound_message": mail.message.pk})
    comms = IncidentRole.objects.filter(incident=incident, role=IncidentRole.Role.COMMUNICATIONS).select_related("user")
    receivers = [incident.owner, *[role.user for role in comms]]
    notify.notify(receivers, f"Update request on INC-{incident.pk} from {person.get_username()}",
                  summary[:1000], f"/incidents/{incident.pk}/")
    return Result(Outcome.UPDATE_REQUEST, {"by": person.pk}, "incident", incident.pk)


def may_acknowledge(incident: Incident, person: User) -> bool:
    """Who may acknowledge by replying: a person paged for the incident, its owner, or a holder of
    one of its roles (an "ack" from anyone else is an update request, as any other reply)."""
    if person.is_client_user:
        return False
    if person.pk == incident.owner_id:
        return True
    if Page.objects.filter(escalation__incident=incident, person=person).exists():
        return True
    return IncidentRole.objects.filter(incident=incident, user=person).exists()


def known_contact(address: str) -> Contact | None:
    """The client contact with this address: an active client user, else a client's contact_email."""
    if not address:
        return None
    user = (User.objects.filter(is_active=True, role=User.Role.CLIENT, email__iexact=address, client__isnull=False)
            .select_related("client").order_by("id").first())
    if user is not None and user.client is not None:
        return Contact(user.client, user)
    client = Client.objects.filter(contact_email__iexact=address).order_by("id").first()
    return Contact(client, None) if client is not None else None


def _infer(client: Client, text: str) -> tuple[Site | None, str | None, dict[str, Any]]:
    """The site and category the text names (one match each), and how each was found."""
    sites = list(Site.objects.filter(clients=client).order_by("id"))
    site_id = rules.one_named(text, {s.pk: [s.code, s.name] for s in sites})
    site = next((s for s in sites if s.pk == site_id), None)
    how: dict[str, Any] = {}
    if site is not None:
        how["site"] = {"id": site.pk, "code": site.code, "how": "named"}
    elif len(sites) == 1:
        site = sites[0]
        how["site"] = {"id": site.pk, "code": site.code, "how": "the client's only site"}
    else:
        how["site"] = {"id": None, "how": "not named" if sites else "the client has no site"}
    category = rules.category_named(text, CATEGORIES)
    how["category"] = {"value": category or DEFAULT_CATEGORY, "how": "named" if category else "default"}
    return site, category, how


def new_request(mail: Mail, contact: Contact) -> Result:
    """A new request of the client; for the desk when its site cannot be told."""
    message = mail.message
    text = rules.reply_text(mail.text)
    site, category, how = _infer(contact.client, f"{message.subject}\n{text}")
    how["client"] = contact.client.pk
    if site is None:
        _tell_desk(f"Request by email from {message.sender} ({contact.client.name}) needs a site",
                   f"{message.subject}\n\n{text[:800]}", f"/inbound/{message.pk}/")
        return Result(Outcome.NEEDS_TRIAGE, how)
    body = _with_attachments(text, keep_attachments(mail))
    data = {"site": site.pk, "category": category or DEFAULT_CATEGORY, "title": (message.subject or "Request by email")[:200],
            "description": body}
    if contact.user is not None:
        actor: User = contact.user
    else:
        desk = workorder_queries.default_request_owner()
        if desk is None:
            raise RuntimeError("nobody at the service desk can take requests yet")
        actor, data["client"] = desk, contact.client.pk
    wo = workorder_services.create_work_order(data, actor=actor)
    return Result(Outcome.NEW_REQUEST, how, "workorder", wo.pk)


def _desk() -> list[User]:
    return list(User.objects.filter(Q(role__in=DESK_ROLES), is_active=True))


def _tell_desk(title: str, body: str, url: str) -> None:
    notify.notify(_desk(), title, body, url)


def unknown_sender(mail: Mail, *, foreign: bool) -> Result:
    """A sender we do not know (or naming something they may not see): the desk hears of it; the
    sender gets one polite answer (decided by the caller)."""
    message = mail.message
    keep_attachments(mail)
    _tell_desk(f"Email from an unknown sender: {message.sender or message.mail_from or '<>'}",
               f"{message.subject}\n\n{rules.reply_text(mail.text)[:800]}", f"/inbound/{message.pk}/")
    return Result(Outcome.UNKNOWN_SENDER, {"names_hidden_object": foreign} if foreign else {}, answer=True)
