"""Reads of email wording (staff only: a client user finds none): every email opsdesk sends, with
its shipped text, its variables and what is stored over it."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..tenancy import is_client_reader
from . import defaults
from .models import MailTemplate


def _describe(key: str, audience: str, default: defaults.Default, rows: list[MailTemplate]) -> dict[str, Any]:
    general = next((r for r in rows if r.client_id is None), None)
    return {
        "key": key, "audience": audience, "description": default.description,
        "audience_description": defaults.AUDIENCES[audience], "per_client": default.per_client,
        "variables": [{"name": n, "description": d} for n, d in default.variables.items()],
        "default": {"subject": default.subject, "body": default.body},
        "override": _stored(general) if general else None,
        "client_overrides": [_stored(r) for r in rows if r.client_id is not None],
        "customised": bool(rows),
    }


def _stored(row: MailTemplate) -> dict[str, Any]:
    return {"subject": row.subject, "body": row.body, "client": row.client_id,
            "client_name": row.client.name if row.client is not None else "",
            "updated_at": row.updated_at, "updated_by": row.updated_by_label}


def _rows(key: str | None = None, audience: str | None = None) -> list[MailTemplate]:
    qs = MailTemplate.objects.select_related("client").order_by("key", "audience", "client__name", "id")
    if key is not None:
        qs = qs.filter(key=key, audience=audience)
    return list(qs)


def list_templates(user: Any = None) -> list[dict[str, Any]]:
    """Every key and audience with its default and overrides (user None: the CLI; a client user: none)."""
    if user is not None and is_client_reader(user):
        return []
    rows = _rows()
    return [_describe(k, a, defaults.DEFAULTS[k][a], [r for r in rows if (r.key, r.audience) == (k, a)])
            for k, a in defaults.pairs()]


def get_template(user: Any, key: str, audience: str) -> dict[str, Any]:
    """One key and audience (staff; NotFound for a client user or an email opsdesk does not send)."""
    default = defaults.get(key, audience)
    if default is None or (user is not None and is_client_reader(user)):
        raise NotFound(f"No email {key}/{audience}.")
    return _describe(key, audience, default, _rows(key, audience))
