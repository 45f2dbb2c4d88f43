"""Incident roles: commander, communications lead, operations lead/scribe. Giving a role to
someone is a handoff: the receiver is notified and acknowledges; both are on the timeline."""

from __future__ import annotations

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, notify, timeline
from opsdesk.core.errors import Conflict, PermissionDenied, field_error

from .models import Incident, IncidentRole
from .services import staff_user

LABELS = dict(IncidentRole.Role.choices)


@transaction.atomic
def assign_role(incident: Incident, role: str, user_id: int, *, actor: User, note: str = "") -> IncidentRole:
    """Give `role` to a person (replacing its holder); they must acknowledge it."""
    if role not in LABELS:
        raise field_error("role", f"one of {', '.join(LABELS)}")
    user = staff_user(user_id, "user")
    now = clock.now()
    current = IncidentRole.objects.select_for_update().filter(incident=incident, role=role).first()
    if current and current.user_id == user.pk:
        return current
    before = current.user.get_username() if current else None
    holder, _ = IncidentRole.objects.update_or_create(
        incident=incident, role=role,
        defaults={"user": user, "assigned_by": actor, "assigned_at": now, "note": note, "acknowledged_at": None},
    )
    summary = f"{LABELS[role]}: {before + ' → ' if before else ''}{user.get_username()} (awaiting acknowledgement)"
    timeline.record(incident, "role", actor=actor, summary=summary + (f". Handoff: {note}" if note else ""),
                    changes={role: [before, user.get_username()]})
    notify.notify([user], f"You are {LABELS[role]} of INC-{incident.pk}: {incident.title}",
                  body=note or "Open the incident and acknowledge the role.", url=f"/incidents/{incident.pk}/")
    return holder


@transaction.atomic
def acknowledge_role(incident: Incident, role: str, *, actor: User) -> IncidentRole:
    """The holder acknowledges the role they were given."""
    holder = IncidentRole.objects.select_for_update().filter(incident=incident, role=role).first()
    if holder is None:
        raise Conflict(f"No one holds the {role} role on INC-{incident.pk}.")
    if holder.user_id != actor.pk:
        raise PermissionDenied(f"Only {holder.user.get_username()}, who holds the role, can acknowledge it.")
    if holder.acknowledged_at is None:
        holder.acknowledged_at = clock.now()
        holder.save(update_fields=["acknowledged_at"])
        timeline.record(incident, "role_acknowledged", actor=actor, summary=f"{LABELS[role]} acknowledged")
    return holder
