"""The audit log: security-relevant events across the system, append-only, read by admins.

Every app records through ``record_audit`` at the event's source (services, the API's write
check, auth signals). The address comes from the request context unless given.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from . import clock, timeline
from .actors import ActorRef, identify
from .errors import NotFound
from .models import AuditEvent
from .request_context import current_address

# The actions recorded, with what each means (filters on the page and API use these names).
ACTIONS = {
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.lockout": "Locked out after repeated failures",
    "auth.unlock": "Lockout cleared by an administrator",
    "auth.token_failed": "API token refused",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "integration.key_rotated": "Integration key rotated",
    "user.created": "User created (with a role and client)",
    "user.role_changed": "Role or client of a user changed",
    "permission.denied": "Write refused: permission denied",
    "sla_policy.created": "SLA policy created",
    "sla_policy.changed": "SLA policy changed",
    "readiness.override": "Readiness blocker overridden",
    "mail_template.changed": "Email wording changed",
    "mail_template.reset": "Email wording reset to the shipped text",
}


def record_audit(
    action: str,
    *,
    actor: ActorRef = None,
    address: str | None = None,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (the address defaults to the current request's)."""
    user, label = identify(actor)
    return AuditEvent.objects.create(
        at=clock.now(), action=action, actor_id=user.pk if user else None, actor_label=label[:150],
        address=address or current_address(), target=target[:200],
        before=timeline._plain(before or {}), after=timeline._plain(after or {}),
        detail=timeline._plain(detail or {}),
    )


def target_of(obj: Any) -> str:
    """'<model>:<pk>' naming an object."""
    return f"{obj._meta.model_name}:{obj.pk}"


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def audit_denied_write(request: Any, detail: str) -> None:
    """Record a write the caller's role or token was refused (reads refused are not audited)."""
    if request.method not in WRITE_METHODS:
        return
    user = getattr(request, "user", None)
    record_audit(
        "permission.denied", actor=user, target=f"{request.method} {request.path}"[:200],
        detail={"reason": detail[:500], "role": getattr(user, "role", "")},
    )


# -- reads (admins only) -------------------------------------------------------------------------


def _require_admin(user: Any) -> None:
    if not (getattr(user, "is_authenticated", False) and user.has_perm_code("audit.read")):
        raise NotFound("No such page.")


def list_events(
    user: Any,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events newest first, filtered; administrators only (others: NotFound)."""
    _require_admin(user)
    return filter_events(action=action, actor=actor, since=since, until=until)


def filter_events(
    *, action: str | None = None, actor: str | None = None,
    since: dt.datetime | None = None, until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The filtered events without an access check (the CLI runs as the operator)."""
    since, until = _utc(since), _utc(until)
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label=actor)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Naive instants from filters are UTC."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


EXPORT_FIELDS = ("id", "at", "action", "actor", "address", "target", "before", "after", "detail")


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "at": event.at.astimezone(dt.UTC).isoformat(), "action": event.action,
        "actor": event.actor_label, "address": event.address or "", "target": event.target,
        "before": event.before, "after": event.after, "detail": event.detail,
    }


def export(events: Iterable[AuditEvent], fmt: str) -> Iterator[str]:
    """The events as CSV (JSON in the before/after/detail cells) or JSON lines, oldest first."""
    if fmt == "jsonl":
        for event in events:
            yield json.dumps(_row(event), sort_keys=True) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for event in events:
        row = _row(event)
        writer.writerow([json.dumps(row[f], sort_keys=True) if f in ("before", "after", "detail") else row[f] for f in EXPORT_FIELDS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
