"""'What changed': changes (implementing or recently finished), on-site visits and other recent
events on the affected services, their upstream dependencies and their sites in the hours before
the incident started, ranked by incidents.rules.rank_changes with the reason for each rank."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType

from opsdesk.core import schedule
from opsdesk.core.models import Activity
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service

from . import rules

# A change starting this soon after the start is still a suspect (clocks differ, windows start early).
GRACE = dt.timedelta(minutes=15)
EVENT_VERBS = ("updated", "dependencies_changed")


def _url(ref: str) -> str:
    kind, _, pk = ref.partition(":")
    return {"changes.changerequest": f"/changes/{pk}/", "workorders.workorder": f"/work/{pk}/"}.get(kind, "")


def compute(
    started_at: dt.datetime, service_ids: set[int], site_ids: set[int], edges: list[tuple[int, int]],
    lookback: dt.timedelta = rules.WHAT_CHANGED_LOOKBACK,
) -> list[dict[str, Any]]:
    """The ranked candidates as JSON-safe dicts: ref, kind, label, start_at, end_at, state, url, score, reasons."""
    upstream: set[int] = set()
    for service_id in service_ids:
        upstream |= service_rules.upstream(service_id, edges)
    upstream -= service_ids
    if not (service_ids or site_ids or upstream):
        return []
    start, end = started_at - lookback, started_at + GRACE
    planned = schedule.overlapping(start, end, service_ids=service_ids | upstream, site_ids=site_ids, kinds=["change", "visit"])
    candidates = [
        rules.Candidate(
            ref=p.ref, kind=p.kind, label=p.label, start_at=p.start_at, end_at=p.end_at, state=p.state,
            on_affected=bool(p.service_ids & service_ids or p.site_ids & site_ids),
            on_upstream=bool(p.service_ids & upstream), url=_url(p.ref),
        )
        for p in planned
    ]
    names = dict(Service.objects.filter(pk__in=service_ids | upstream).values_list("pk", "name"))
    for activity in Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(Service), object_id__in=service_ids | upstream,
        verb__in=EVENT_VERBS, at__gte=start, at__lte=end,
    ).order_by("at"):
        candidates.append(rules.Candidate(
            ref=f"services.service:{activity.object_id}#{activity.pk}", kind="event",
            label=f"{names.get(activity.object_id, 'Service')}: {activity.summary}", start_at=activity.at,
            end_at=activity.at, state=activity.verb, on_affected=activity.object_id in service_ids,
            on_upstream=activity.object_id in upstream, url=f"/services/{activity.object_id}/",
        ))
    return [
        {
            "ref": r.candidate.ref, "kind": r.candidate.kind, "label": r.candidate.label,
            "start_at": r.candidate.start_at.isoformat(), "end_at": r.candidate.end_at.isoformat(),
            "state": r.candidate.state, "url": r.candidate.url, "score": r.score, "reasons": list(r.reasons),
        }
        for r in rules.rank_changes(candidates, started_at)
    ]
