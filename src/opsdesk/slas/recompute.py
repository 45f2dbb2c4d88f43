"""Stored SLA clock state: recomputed from the state history on every change and by the worker.

The live clocks (slas.clocks) are the truth; SlaClockState keeps their last answer per target so
that the worker can find what time alone is about to change (`next_check_at`), send each at-risk
notice and breach escalation once, and the attainment report can count settled targets per
client, region, site and month without recomputing history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from opsdesk.core import clock as core_clock
from opsdesk.incidents.models import Incident
from opsdesk.workorders.models import WorkOrder

from . import queries
from .clocks import Sla, TargetClock, clocks_for_incidents, clocks_for_work_orders
from .models import SlaClockState, SlaHistory
from .targets import (
    CANCELLED,
    DRAFT,
    INCIDENT,
    RESOLUTION,
    STOP_STATES,
    WORK_ORDER,
    encode_history,
    settled_and_next,
)

BATCH = 500
SETTLED = ("met", "breached")


def _row(sla: Sla, t: TargetClock, client_id: int | None, site_id: int | None, now: dt.datetime) -> SlaClockState:
    settled, next_check = settled_and_next(t.status, stopped_at=t.stopped_at, breached_at=t.breached_at,
                                           at_risk_at=t.at_risk_at, due_at=t.due_at)
    return SlaClockState(
        kind=sla.kind, object_id=sla.object_id, target=t.target, policy=sla.policy, client_id=client_id,
        site_id=site_id, status=t.status, target_minutes=t.target_minutes, elapsed_minutes=t.elapsed_minutes,
        paused_minutes=t.paused_minutes, due_at=t.due_at, settled_at=settled, next_check_at=next_check, computed_at=now,
    )


def _owners(kind: str, objs: Sequence[Any]) -> dict[int, tuple[int | None, int | None]]:
    """(client, site) each object's stored rows are counted under in the attainment report.

    Incidents: the first affected client and site (lowest id); an incident affecting several
    clients counts once, under the first.
    """
    if kind == WORK_ORDER:
        return {wo.pk: (wo.client_id, wo.site_id) for wo in objs}
    ids = [o.pk for o in objs]
    out: dict[int, tuple[int | None, int | None]] = {pk: (None, None) for pk in ids}
    for incident_id, client_id in Incident.clients.through.objects.filter(incident_id__in=ids) \
            .order_by("-client_id").values_list("incident_id", "client_id"):
        out[incident_id] = (client_id, out[incident_id][1])
    for incident_id, site_id in Incident.sites.through.objects.filter(incident_id__in=ids) \
            .order_by("-site_id").values_list("incident_id", "site_id"):
        out[incident_id] = (out[incident_id][0], site_id)
    return out


def _load(kind: str, ids: Sequence[int]) -> list[Any]:
    if kind == WORK_ORDER:
        return list(WorkOrder.objects.filter(pk__in=ids).only(
            "id", "state", "priority", "category", "client_id", "site_id", "created_at"))
    return list(Incident.objects.filter(pk__in=ids).only("id", "state", "severity", "detected_at"))


@transaction.atomic
def recompute(kind: str, ids: Iterable[int]) -> int:
    """Recompute and store the clocks of these objects at core.clock.now(); returns rows written.

    Targets that no longer apply (no policy, or the policy lost a target) lose their rows; the
    at-risk and breach notice stamps of the others are kept, so each notice is sent once.
    """
    ids = sorted(set(ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        objs = _load(kind, chunk)
        if kind == WORK_ORDER:
            histories = queries.state_histories(objs)
            slas = clocks_for_work_orders(objs, histories)
            _store_histories(histories)
        else:
            slas = clocks_for_incidents(objs)
        owners = _owners(kind, objs)
        now = core_clock.now()
        rows = [_row(sla, t, *owners[pk], now) for pk, sla in slas.items() for t in sla.targets]
        keep = {(r.object_id, r.target) for r in rows}
        stale = [pk for pk, obj, target in SlaClockState.objects.filter(kind=kind, object_id__in=chunk)
                 .values_list("id", "object_id", "target") if (obj, target) not in keep]
        if stale:
            SlaClockState.objects.filter(pk__in=stale).delete()
        SlaClockState.objects.bulk_create(
            rows, batch_size=BATCH, update_conflicts=True, unique_fields=["kind", "object_id", "target"],
            update_fields=["policy", "client", "site", "status", "target_minutes", "elapsed_minutes", "paused_minutes", "due_at",
                           "settled_at", "next_check_at", "computed_at"],
        )
        written += len(rows)
    return written


def _store_histories(histories: dict[int, list[tuple[float, str]]]) -> None:
    """Keep each work order's compact state history (SlaHistory) as the timeline gives it."""
    SlaHistory.objects.bulk_create(
        [SlaHistory(kind=WORK_ORDER, object_id=pk, entries=encode_history(h), clocks="") for pk, h in histories.items()],
        batch_size=BATCH, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=["entries", "clocks"],
    )


def recompute_work_order(event: Any) -> None:
    """Domain-event handler: a work order changed (slas.apps subscribes it)."""
    recompute(WORK_ORDER, [event.work_order_id])


def recompute_incidents(event: Any) -> None:
    """Domain-event handler: incidents opened or changed (slas.apps subscribes it)."""
    recompute(INCIDENT, event.incident_ids)


def due_for_check(now: dt.datetime, limit: int = 5000) -> dict[str, list[int]]:
    """Objects whose stored clocks time alone has changed by `now` (at risk, then breached), by kind.

    Changes of state reach the stored clocks through the domain events; new objects through
    their creation's event; bulk loads call `recompute` themselves.
    """
    out: dict[str, list[int]] = {WORK_ORDER: [], INCIDENT: []}
    for kind, object_id in SlaClockState.objects.filter(next_check_at__lte=now).order_by("next_check_at") \
            .values_list("kind", "object_id")[:limit]:
        out[kind].append(object_id)
    return out


def open_ids(kind: str) -> list[int]:
    """Objects whose clocks can still change: work orders not finished, incidents not resolved."""
    if kind == WORK_ORDER:
        done = STOP_STATES[WORK_ORDER][RESOLUTION] | {CANCELLED, DRAFT}
        return list(WorkOrder.objects.exclude(state__in=done).order_by("id").values_list("id", flat=True))
    done = STOP_STATES[INCIDENT][RESOLUTION]
    return list(Incident.objects.exclude(state__in=done).order_by("id").values_list("id", flat=True))


def recompute_open(kind: str) -> int:
    """Recompute every open object of a kind (after a policy change). Settled targets of finished
    objects keep the judgement of the policy that was in force when they settled."""
    return recompute(kind, open_ids(kind))
