"""Handoffs: every change of a work order's owner or team, with a structured summary and the
receiver's acknowledgement; unacknowledged ones escalate (tasks.escalate_unacknowledged).

Decisions:
- A handoff to yourself (taking ownership, or moving your own work to another team) is
  acknowledged at once: nobody else has to confirm it.
- Escalation level 1 notifies the receiver again after `ack_minutes()`; level 2, after twice that,
  notifies the "team lead": the sender (who still holds the context and must see it land) and the
  active administrators. Each level is sent once (Handoff.escalation_level).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, notify, timeline
from opsdesk.core.errors import Conflict, PermissionDenied, field_error

from .models import Handoff, WorkOrder


def ack_minutes() -> int:
    """Minutes a receiver has to acknowledge before the first escalation."""
    return int(getattr(settings, "OPSDESK_HANDOFF_ACK_MINUTES", 30))


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def url_of(wo: WorkOrder) -> str:
    """The work order's page."""
    return f"/work/{wo.pk}/"


def _receiver(to_user: Any) -> Any:
    user_id = getattr(to_user, "pk", to_user)
    found = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(role="client").first()
    if found is None:
        raise field_error("to_user", f"unknown active staff user id: {user_id}")
    return found


def record_handoff(
    wo: WorkOrder,
    *,
    to_user: Any,
    to_team: str | None,
    actor: User,
    done_so_far: str = "",
    next_step: str = "",
    open_questions: str = "",
    links: list[str] | None = None,
) -> Handoff:
    """Change the owner and/or team of a locked work order as a handoff (callers hold the transaction)."""
    receiver = _receiver(to_user)
    team = wo.team if to_team is None else to_team.strip()
    if receiver.pk == wo.owner_id and team == wo.team:
        raise Conflict(f"{_name(receiver)} already owns WO-{wo.pk} in team '{wo.team or '-'}'; nothing to hand off.")
    now = clock.now()
    handoff = Handoff.objects.create(
        work_order=wo, from_user_id=wo.owner_id, to_user=receiver, from_team=wo.team, to_team=team,
        done_so_far=done_so_far.strip(), next_step=next_step.strip(), open_questions=open_questions.strip(),
        links=[str(link) for link in (links or []) if str(link).strip()], created_at=now,
        acknowledged_at=now if receiver.pk == getattr(actor, "pk", None) else None,
    )
    before = {"owner": wo.owner_id, "team": wo.team}
    wo.owner, wo.team = receiver, team
    wo.save(update_fields=["owner", "team", "updated_at"])
    changes = {k: [v, getattr(wo, "owner_id" if k == "owner" else k)] for k, v in before.items()}
    summary = f"Handed off to {_name(receiver)}" + (f" ({team})" if team else "")
    if handoff.next_step:
        summary += f"; next: {handoff.next_step}"
    timeline.record(wo, "handed_off", actor=actor, summary=summary, changes=changes)
    if handoff.acknowledged_at is None:
        notify.notify(
            [receiver], f"WO-{wo.pk} handed to you: {wo.title}",
            _briefing(handoff) + "\n\nPlease acknowledge the handoff.", url_of(wo),
        )
    return handoff


def _briefing(handoff: Handoff) -> str:
    parts = [
        ("Done so far", handoff.done_so_far), ("Next step", handoff.next_step),
        ("Open questions", handoff.open_questions), ("Links", "\n".join(handoff.links or [])),
    ]
    return "\n".join(f"{label}: {text}" for label, text in parts if text)


@transaction.atomic
def acknowledge_handoff(handoff: Handoff, *, actor: User) -> Handoff:
    """The receiver confirms taking over; acknowledging twice changes nothing."""
    handoff = Handoff.objects.select_for_update(of=("self",)).select_related("work_order").get(pk=handoff.pk)
    if handoff.to_user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the receiver of a handoff can acknowledge it.")
    if handoff.acknowledged_at is not None:
        return handoff
    handoff.acknowledged_at = clock.now()
    handoff.save(update_fields=["acknowledged_at"])
    timeline.record(
        handoff.work_order, "handoff_acknowledged", actor=actor,
        summary=f"{_name(actor)} acknowledged the handoff", changes={"handoff": handoff.pk},
    )
    return handoff


def due_level(handoff: Handoff, now: dt.datetime) -> int:
    """The escalation level an unacknowledged handoff should have reached by `now` (0, 1 or 2)."""
    if handoff.acknowledged_at is not None:
        return 0
    waited = now - handoff.created_at
    limit = dt.timedelta(minutes=ack_minutes())
    return 2 if waited >= 2 * limit else 1 if waited >= limit else 0


def team_leads(handoff: Handoff) -> list[Any]:
    """Who hears of a handoff still unacknowledged at level 2: the sender and the active admins."""
    admins = list(get_user_model().objects.filter(is_active=True, role="admin"))
    return [handoff.from_user, *admins]


@transaction.atomic
def escalate(handoff_id: int, now: dt.datetime) -> int:
    """Raise one handoff to its due level, sending each level's notice once; returns notices sent."""
    handoff = (
        Handoff.objects.select_for_update(of=("self",)).select_related("work_order", "to_user", "from_user")
        .filter(pk=handoff_id, acknowledged_at__isnull=True).first()
    )
    if handoff is None:
        return 0
    sent = 0
    wo = handoff.work_order
    target = due_level(handoff, now)
    while handoff.escalation_level < target:
        handoff.escalation_level += 1
        waited = int((now - handoff.created_at).total_seconds() // 60)
        if handoff.escalation_level == 1:
            notify.notify([handoff.to_user], f"Reminder: acknowledge the handoff of WO-{wo.pk}",
                          f"WO-{wo.pk} ({wo.title}) was handed to you {waited} minutes ago.\n\n{_briefing(handoff)}",
                          url_of(wo))
        else:
            notify.notify(team_leads(handoff), f"Unacknowledged handoff: WO-{wo.pk}",
                          f"{_name(handoff.to_user)} has not acknowledged WO-{wo.pk} ({wo.title}) "
                          f"after {waited} minutes.", url_of(wo))
        timeline.record(wo, "handoff_escalated", actor="system",
                        summary=f"Handoff to {_name(handoff.to_user)} unacknowledged: escalation level {handoff.escalation_level}",
                        changes={"handoff": handoff.pk, "escalation_level": handoff.escalation_level})
        sent += 1
    if sent:
        handoff.escalated_at = now
        handoff.save(update_fields=["escalation_level", "escalated_at"])
    return sent


def pending_escalation_ids(now: dt.datetime) -> list[int]:
    """Unacknowledged handoffs that have waited at least the first limit and are not yet at level 2."""
    first = now - dt.timedelta(minutes=ack_minutes())
    return list(
        Handoff.objects.filter(acknowledged_at__isnull=True, created_at__lte=first, escalation_level__lt=2)
        .order_by("created_at", "id").values_list("id", flat=True)[:1000]
    )
