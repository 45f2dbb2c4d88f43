"""Use cases of email wording: set an override (checked before anything is saved), reset one to the
shipped text, preview a template with its sample context. Each change is in the audit log: what
opsdesk writes to people in its name is security-relevant (a changed page could send people
elsewhere)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .. import clock
from ..actors import ActorRef, identify
from ..audit import record_audit
from ..errors import InvalidInput, NotFound, field_error
from . import defaults, rendering
from .models import MailTemplate

MAX_SUBJECT = MailTemplate._meta.get_field("subject").max_length or 500
MAX_BODY = 20000


def shipped(key: str, audience: str) -> defaults.Default:
    """The shipped template of a key and audience, or NotFound naming what exists."""
    found = defaults.get(key, audience)
    if found is None:
        known = ", ".join(f"{k}/{a}" for k, a in defaults.pairs())
        raise NotFound(f"opsdesk sends no email {key}/{audience}; it sends {known}.")
    return found


def checked_client(default: defaults.Default, client_id: int | None) -> int | None:
    """The client of an override: only where the audience is per client, and only a client that exists."""
    if client_id is None:
        return None
    if not default.per_client:
        raise field_error("client", "this email is worded the same for every client; leave client out.")
    clients = MailTemplate._meta.get_field("client").related_model._default_manager
    if not clients.filter(pk=client_id).exists():
        raise field_error("client", f"no client {client_id}.")
    return client_id


def check_texts(default: defaults.Default, subject: str, body: str) -> None:
    """Refuse (422, naming the field) a template that is too long, does not compile, or does not
    render with the sample context: nothing is saved."""
    for name, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if len(text) > limit:
            raise field_error(name, f"at most {limit} characters.")
        if "\x00" in text:
            raise field_error(name, "contains a NUL character.")
        template = rendering.compile_text(text, name)
        try:
            rendering.fill(template, default.sample)
        except Exception as exc:
            raise field_error(name, f"does not render with the sample values: {exc}") from None
    if not subject.strip():
        raise field_error("subject", "must not be empty.")


def own_row(key: str, audience: str, client_id: int | None, *, lock: bool = False) -> MailTemplate | None:
    """The row stored for exactly this client (None: the one for every client)."""
    rows = MailTemplate.objects.filter(key=key, audience=audience)
    rows = rows.filter(client_id=client_id) if client_id is not None else rows.filter(client__isnull=True)
    return (rows.select_for_update() if lock else rows).first()


def _snapshot(row: MailTemplate | None) -> dict[str, Any]:
    return {"subject": row.subject, "body": row.body} if row is not None else {}


@transaction.atomic
def set_override(key: str, audience: str, *, subject: str | None = None, body: str | None = None,
                 client_id: int | None = None, actor: ActorRef) -> MailTemplate:
    """Store the wording of one email (a field left out keeps what applies today: the override's,
    else the shipped text), for every client or one client; refused whole if either text is bad."""
    default = shipped(key, audience)
    client_id = checked_client(default, client_id)
    if subject is None and body is None:
        raise InvalidInput("Give a subject, a body or both.",
                           errors=[{"field": "body", "message": "nothing to change"}])
    current = own_row(key, audience, client_id, lock=True)
    new_subject = subject if subject is not None else (current.subject if current else default.subject)
    new_body = body if body is not None else (current.body if current else default.body)
    check_texts(default, new_subject, new_body)
    before = _snapshot(current)
    user, label = identify(actor)
    row = current or MailTemplate(key=key, audience=audience, client_id=client_id)
    row.subject, row.body, row.updated_at = new_subject, new_body, clock.now()
    row.updated_by_id, row.updated_by_label = (user.pk if user else None), label[:150]
    row.save()
    record_audit("mail_template.changed", actor=actor, target=_target(key, audience, client_id),
                 before=before, after=_snapshot(row))
    return row


@transaction.atomic
def reset(key: str, audience: str, *, client_id: int | None = None, actor: ActorRef) -> bool:
    """Back to the shipped text (or, for one client, to the audience's wording); False if nothing was stored."""
    shipped(key, audience)
    row = own_row(key, audience, client_id)
    if row is None:
        return False
    before = _snapshot(row)
    row.delete()
    record_audit("mail_template.reset", actor=actor, target=_target(key, audience, client_id), before=before)
    return True


def preview(key: str, audience: str, *, subject: str | None = None, body: str | None = None,
            client_id: int | None = None) -> dict[str, str]:
    """A template rendered with the sample context: the texts given, else what applies now."""
    default = shipped(key, audience)
    client_id = checked_client(default, client_id)
    row = rendering.stored(key, audience, client_id)
    subject = subject if subject is not None else (row.subject if row else default.subject)
    body = body if body is not None else (row.body if row else default.body)
    check_texts(default, subject, body)
    rendered_subject, rendered_body = rendering.render_texts(subject, body, default.sample)
    return {"subject": rendered_subject, "body": rendered_body}


def _target(key: str, audience: str, client_id: int | None) -> str:
    return f"mail_template:{key}/{audience}" + (f"/client:{client_id}" if client_id else "")
