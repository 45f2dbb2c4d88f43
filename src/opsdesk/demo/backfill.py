"""Timeline entries for demo rows written in bulk, told as the services would have told them.

Where a builder writes hundreds of rows at once instead of calling the services one by one (a
service call costs ~15 ms), it still owes each row the history the services record: who created
it, every state it passed through and every arrangement made, at the moment it happened. The
entries are built by `core.timeline.entry` (the same who/when/what/before-after as
`timeline.record`) and saved in batches with `timeline.record_batch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from opsdesk.core import timeline
from opsdesk.core.models import Activity
from opsdesk.workorders.models import Arrangement, WorkOrder
from opsdesk.workorders.readiness.rules import OWNERS

CLIENT, INTERNAL = Activity.Visibility.CLIENT, Activity.Visibility.INTERNAL
H = dt.timedelta(hours=1)


def _creation_changes(wo: WorkOrder, m2m: dict[str, list[int]]) -> dict[str, Any]:
    """What crud.create records for a new work order: its non-empty fields as they were when submitted."""
    stored = (wo.state, wo.blocked, wo.at_risk, wo.next_needed_by, wo.readiness)
    wo.state, wo.blocked, wo.at_risk, wo.next_needed_by, wo.readiness = "submitted", False, False, None, {}
    fields = timeline.snapshot(wo)
    wo.state, wo.blocked, wo.at_risk, wo.next_needed_by, wo.readiness = stored
    changes: dict[str, Any] = {k: [None, v] for k, v in fields.items() if v not in (None, "", [], {})}
    changes.update({name: [[], sorted(ids)] for name, ids in m2m.items() if ids})
    return changes


def _arranged(arrangement: Arrangement, by: Any, at: dt.datetime) -> Activity:
    """The entry of services.record_arrangement for an arrangement recorded at `at`."""
    req = arrangement.requirement
    owner = OWNERS.get(req.kind, "service_desk")
    return timeline.entry(
        arrangement.work_order, "arrangement_recorded", actor=by, at=at,
        summary=f"{req.get_kind_display()}: {arrangement.state}"
        + (f" ({arrangement.reference})" if arrangement.reference else ""),
        changes={"arrangement": {"requirement": req.pk, "state": ["requested", arrangement.state]}},
        visibility=CLIENT if owner == "client" else INTERNAL,
    )


def _moved(wo: WorkOrder, by: Any, at: dt.datetime, before: str, to: str, reason: str) -> Activity:
    """The entry of transition_work_order."""
    return timeline.entry(wo, "transitioned", actor=by, at=at, summary=f"State {before} → {to}: {reason}",
                          changes={"state": [before, to]}, visibility=CLIENT)


def _readiness(wo: WorkOrder, by: Any, at: dt.datetime, blocked: bool, open_n: int) -> Activity:
    """The entry of refresh_readiness when the work order becomes (un)blocked."""
    return timeline.entry(
        wo, "readiness_changed", actor=by, at=at,
        summary="Ready: nothing blocks the work" if not blocked else f"Not ready: {open_n} blocker(s) open",
        changes={"blocked": [not blocked, blocked]},
    )


def work_order_history(
    wo: WorkOrder, by: Any, created: dt.datetime, m2m: dict[str, list[int]], arrangements: Sequence[Arrangement],
    ready_at: dt.datetime | None, now: dt.datetime,
) -> list[Activity]:
    """A desk-created work order's entries: created and submitted, triaged, in readiness, each
    arrangement recorded, and (when `ready_at`) moved to ready; as the demo's service path records them.

    The steps fit between its creation and `ready_at` (or `now`): reactive work came in minutes ago.
    An arrangement made before the work order (a standing one of the site's) is recorded with it."""
    step = min(H, ((ready_at or now) - created) / 4)
    made = [
        timeline.entry(wo, "created", actor=by, at=created, summary="Work order created",
                       changes=_creation_changes(wo, m2m)),
        timeline.entry(wo, "submitted", actor=by, at=created, summary=f"Work order submitted: {wo.title}",
                       visibility=CLIENT),
    ]
    if arrangements:
        made.append(_readiness(wo, by, created, True, len(arrangements)))
    made += [
        _moved(wo, by, created + step, "submitted", "triage", "Request complete enough to triage"),
        _moved(wo, by, created + 2 * step, "triage", "readiness", "Triage done"),
    ]
    made += [_arranged(a, by, max(a.approved_at or created, created + 2 * step)) for a in arrangements]
    if arrangements and ready_at is not None:
        last = max(a.approved_at for a in arrangements if a.approved_at)
        made.append(_readiness(wo, by, min(max(last, created + 3 * step), ready_at), False, 0))
    if ready_at is not None:
        made.append(_moved(wo, by, ready_at, "readiness", "ready", "Everything arranged"))
    return made
