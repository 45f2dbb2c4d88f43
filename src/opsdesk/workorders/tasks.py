"""Background work of work orders, run by `opsdesk worker` (periodic jobs registered in apps.py).

Both tasks are idempotent: what was sent is recorded (Handoff.escalation_level; the readiness
JSON's "notified" keys), so running one twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django_tasks import task

from opsdesk.core import clock, notify, timeline
from opsdesk.core.queries import flag

from . import handoffs, queries, rules
from .models import WorkOrder

BATCH = 500
OWNER_WORDS = {"service_desk": "service desk", "client": "client", "dispatch": "dispatch", "site": "site", "engineer": "engineer"}


@task()
def escalate_unacknowledged() -> int:
    """Escalate handoffs left unacknowledged: level 1 reminds the receiver, level 2 tells the team lead."""
    now = clock.now()
    return sum(handoffs.escalate(handoff_id, now) for handoff_id in handoffs.pending_escalation_ids(now))


def _due(blocker: dict[str, Any], now: dt.datetime) -> bool:
    at = blocker.get("needed_by")
    return not blocker.get("overridden") and isinstance(at, str) and dt.datetime.fromisoformat(at) < now


def _url(wo: WorkOrder, owner: str) -> str:
    return f"/work/portal/{wo.pk}/" if owner == "client" else handoffs.url_of(wo)


@transaction.atomic
def _notify_one(wo_id: int, now: dt.datetime) -> int:
    """Mark one work order at risk and tell each newly overdue blocker's owner, once per blocker."""
    wo = WorkOrder.objects.select_for_update().filter(pk=wo_id, state__in=sorted(rules.OPEN_STATES)).first()
    if wo is None or not isinstance(wo.readiness, dict):
        return 0
    data = dict(wo.readiness)
    notified = list(data.get("notified", []))
    sent = 0
    for blocker in data.get("blockers", []):
        if not _due(blocker, now) or blocker["key"] in notified:
            continue
        owner = blocker.get("owner", "service_desk")
        needed = dt.datetime.fromisoformat(blocker["needed_by"])
        notify.notify(
            queries.users_for_owner(wo, owner), f"At risk: WO-{wo.pk} {wo.title}",
            f"{blocker['detail']}\nThis was needed by {needed:%Y-%m-%d %H:%M} UTC ({blocker['rule']}).",
            _url(wo, owner),
        )
        timeline.record(
            wo, "at_risk_notified", actor="system",
            summary=f"At risk: {blocker['kind'].replace('_', ' ')} blocker past its needed-by; {OWNER_WORDS.get(owner, owner)} notified",
            changes={"blocker": blocker["key"], "owner": owner},
        )
        notified.append(blocker["key"])
        sent += 1
    if sent or not wo.at_risk:
        data["notified"] = notified
        WorkOrder.objects.filter(pk=wo.pk).update(at_risk=True, readiness=data)
    return sent


@task()
def notify_at_risk() -> int:
    """Open, blocked work whose earliest needed-by has passed: flag it at risk and notify blockers' owners.

    at_risk is computed on every write, but time alone makes work at risk; this keeps the flag true
    between writes. Owners: see queries.users_for_owner (client: the client's users; dispatch: the
    dispatchers; service desk and site: the work order's owner; engineer: the assigned engineer).
    """
    now = clock.now()
    ids = list(
        WorkOrder.objects.filter(flag("blocked", True), state__in=sorted(rules.OPEN_STATES), next_needed_by__lt=now)
        .order_by("next_needed_by", "id").values_list("id", flat=True)[:BATCH * 20]
    )
    return sum(_notify_one(wo_id, now) for wo_id in ids)
