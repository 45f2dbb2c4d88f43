"""Render an email's subject and body: the stored override if there is one, else the shipped text.

Templates are Django template strings rendered as plain text (autoescape off: every email opsdesk
sends is text/plain). A stored template that no longer renders never costs the email: the shipped
text is sent instead and the failure is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Model, Q
from django.template import Context, TemplateSyntaxError, engines
from django.template.base import Template

from ..errors import field_error
from . import defaults
from .models import MailTemplate

logger = logging.getLogger(__name__)


def compile_text(source: str, field: str) -> Template:
    """The compiled template, or a 422 naming `field` with the engine's reason."""
    try:
        wrapper: Any = engines["django"].from_string(source)
    except TemplateSyntaxError as exc:
        raise field_error(field, f"not a valid template: {exc}") from None
    template: Template = wrapper.template
    return template


def fill(template: Template, context: dict[str, Any]) -> str:
    """Render a compiled template as plain text (no HTML escaping)."""
    # A plain str, not the SafeString Django answers: the text is not HTML, so a page showing it
    # (the preview) must escape it like any user text.
    return str.__str__(template.render(Context(context, autoescape=False)))


def one_line(subject: str) -> str:
    """A subject is one header line: line breaks become spaces (a header cannot hold them)."""
    return " ".join(subject.splitlines()).strip() if ("\n" in subject or "\r" in subject) else subject


def render_texts(subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render a subject and body template pair; raises on a template that does not compile or render."""
    return one_line(fill(compile_text(subject, "subject"), context)), fill(compile_text(body, "body"), context)


def client_id_of(client: Model | int | None) -> int | None:
    """A client's id, from the client or its id."""
    return client.pk if isinstance(client, Model) else client


def stored(key: str, audience: str, client: Model | int | None = None) -> MailTemplate | None:
    """The override that applies: the client's own (for a per-client audience), else the audience's."""
    shipped = defaults.get(key, audience)
    client_id = client_id_of(client) if shipped is not None and shipped.per_client else None
    rows = MailTemplate.objects.filter(key=key, audience=audience).filter(
        Q(client__isnull=True) | Q(client_id=client_id) if client_id else Q(client__isnull=True))
    found = sorted(rows, key=lambda row: row.client_id is None)  # the client's own first
    return found[0] if found else None


def render(key: str, audience: str, context: dict[str, Any], client: Model | int | None = None) -> tuple[str, str]:
    """(subject, body) of email `key` for `audience`: a client's own wording, else the audience's
    override, else the shipped default; an override that fails to render falls back to the default."""
    shipped = defaults.get(key, audience)
    if shipped is None:
        raise KeyError(f"opsdesk sends no email {key!r} to {audience!r}")
    row = stored(key, audience, client)
    if row is not None:
        try:
            return render_texts(row.subject, row.body, context)
        except Exception:
            logger.exception("mail template %s failed to render; sending the shipped text instead", row)
    return render_texts(shipped.subject, shipped.body, context)
