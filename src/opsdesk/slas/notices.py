"""The worker's SLA watch: refresh what time alone changes, warn the owner at risk, escalate breaches.

Run every minute by `opsdesk worker` (slas.apps registers it). Each notice is sent once per
target: the stored clock keeps when it was sent (at_risk_notified_at, breach_escalated_at).
Who hears: the object's owner when a target is at risk (75 % of it used); on a breach the owner
and the team leads, i.e. the active administrators (opsdesk has no team-lead role of its own; the
same people hear of unacknowledged handoffs).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.channels import services as channels
from opsdesk.core import clock as core_clock
from opsdesk.core import notify, timeline
from opsdesk.core.metrics import registry as metrics
from opsdesk.incidents.models import Incident
from opsdesk.workorders.models import WorkOrder

from .badges import TARGET_LABELS, duration_words
from .models import SlaClockState
from .recompute import due_for_check, recompute
from .targets import INCIDENT, WORK_ORDER

# Breaches older than this when first seen (a restored backup, a first start) are stamped, not paged.
ESCALATE_WITHIN = dt.timedelta(days=1)
MODELS: dict[str, Any] = {WORK_ORDER: WorkOrder, INCIDENT: Incident}
PREFIX = {WORK_ORDER: "WO", INCIDENT: "INC"}
PATHS = {WORK_ORDER: "/work/{}/", INCIDENT: "/incidents/{}/"}


def team_leads() -> list[Any]:
    """Who hears of a breach besides the owner: the active administrators."""
    return list(get_user_model().objects.filter(is_active=True, role="admin"))


@metrics.timed(metrics.sla_watch_seconds)
def watch() -> dict[str, int]:
    """Refresh the clocks time has changed, then send what is due; returns counts."""
    now = core_clock.now()
    refreshed = sum(recompute(kind, ids) for kind, ids in due_for_check(now).items() if ids)
    return {"refreshed": refreshed, "at_risk": notify_at_risk(now), "breached": escalate_breaches(now)}


def _objects(kind: str, ids: set[int]) -> dict[int, Any]:
    found: dict[int, Any] = MODELS[kind].objects.select_related("owner").in_bulk(sorted(ids))
    return found


def _name(kind: str, obj: Any) -> str:
    return f"{PREFIX[kind]}-{obj.pk} ({obj.title})"


def _publish(event: str, kind: str, obj: Any, title: str, summary: str) -> None:
    """The notice on the responders' channels (internal only: SLA wording is for the desk)."""
    channels.publish_object_event(event, ref=f"{'workorder' if kind == WORK_ORDER else 'incident'}:{obj.pk}",
                                  title=title, summary=summary, url=PATHS[kind].format(obj.pk),
                                  status=obj.get_state_display(), payload={"kind": kind})


@transaction.atomic
def notify_at_risk(now: dt.datetime) -> int:
    """Tell each at-risk target's owner once: what is due, when, how much business time is left."""
    states = list(SlaClockState.objects.select_for_update().filter(status="at_risk", at_risk_notified_at__isnull=True)
                  .order_by("due_at", "id")[:1000])
    sent = 0
    for kind in (WORK_ORDER, INCIDENT):
        mine = [s for s in states if s.kind == kind]
        objs = _objects(kind, {s.object_id for s in mine})
        for state in mine:
            obj = objs.get(state.object_id)
            if obj is not None:
                label = TARGET_LABELS.get(state.target, state.target)
                left = duration_words(state.target_minutes - state.elapsed_minutes)
                due = f" (due {state.due_at:%Y-%m-%d %H:%M} UTC)" if state.due_at else ""
                notify.notify([obj.owner], f"SLA at risk: {_name(kind, obj)}",
                              f"{label} target: {left} of business time left{due}.",
                              PATHS[kind].format(obj.pk))
                _publish("sla.at_risk", kind, obj, f"SLA at risk: {_name(kind, obj)}",
                         f"{label} target: {left} of business time left{due}.")
                timeline.record(obj, "sla_at_risk", actor="opsdesk", summary=f"SLA {label.lower()} target at risk: {left} left")
                sent += 1
            state.at_risk_notified_at = now
    SlaClockState.objects.bulk_update(states, ["at_risk_notified_at"])
    return sent


@transaction.atomic
def escalate_breaches(now: dt.datetime) -> int:
    """Tell the owner and the team leads of each newly breached target once."""
    states = list(SlaClockState.objects.select_for_update().filter(status="breached", breach_escalated_at__isnull=True)
                  .order_by("settled_at", "id")[:1000])
    leads = team_leads() if states else []
    sent = 0
    for kind in (WORK_ORDER, INCIDENT):
        mine = [s for s in states if s.kind == kind]
        objs = _objects(kind, {s.object_id for s in mine})
        for state in mine:
            obj = objs.get(state.object_id)
            recent = state.settled_at is None or now - state.settled_at <= ESCALATE_WITHIN
            if obj is not None and recent:
                label = TARGET_LABELS.get(state.target, state.target)
                people = {u.pk: u for u in [obj.owner, *leads]}
                notify.notify(people.values(), f"SLA breached: {_name(kind, obj)}",
                              f"The {label.lower()} target of {state.target_minutes} business minutes was missed"
                              f"{f' at {state.settled_at:%Y-%m-%d %H:%M} UTC' if state.settled_at else ''}. "
                              f"Owner: {obj.owner.get_full_name() or obj.owner.get_username()}.",
                              PATHS[kind].format(obj.pk))
                _publish("sla.breached", kind, obj, f"SLA breached: {_name(kind, obj)}",
                         f"The {label.lower()} target of {state.target_minutes} business minutes was missed.")
                timeline.record(obj, "sla_breached", actor="opsdesk",
                                summary=f"SLA {label.lower()} target breached; escalated to the team leads")
                sent += 1
            state.breach_escalated_at = now
    SlaClockState.objects.bulk_update(states, ["breach_escalated_at"])
    return sent
