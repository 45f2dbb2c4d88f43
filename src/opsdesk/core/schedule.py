"""What is planned where and when (changes, visits). Read by collisions, "what changed", calendars.

Owners call `put` whenever the planned time, targets or state of their object change, and
`remove` when it no longer occupies time. Readers ask `overlapping`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from .models import ScheduleEntry, ScheduleTarget


@dataclass(frozen=True)
class Planned:
    """One planned thing, as readers see it."""

    ref: str
    kind: str
    label: str
    start_at: dt.datetime
    end_at: dt.datetime
    state: str
    maintenance: bool
    site_ids: frozenset[int]
    service_ids: frozenset[int]


def ref_for(obj: object) -> str:
    """The stable reference of a model instance: '<app_label>.<model>:<pk>'."""
    meta = obj._meta  # type: ignore[attr-defined]
    return f"{meta.app_label}.{meta.model_name}:{obj.pk}"  # type: ignore[attr-defined]


@transaction.atomic
def put(
    ref: str,
    *,
    kind: str,
    label: str,
    start_at: dt.datetime,
    end_at: dt.datetime,
    site_ids: Iterable[int],
    service_ids: Iterable[int],
    state: str = "",
    maintenance: bool = False,
    client_ids: Iterable[int] = (),
) -> ScheduleEntry:
    """Create or replace the entry for `ref`."""
    entry, _ = ScheduleEntry.objects.update_or_create(
        ref=ref,
        defaults={
            "kind": kind, "label": label[:300], "start_at": start_at, "end_at": end_at, "state": state,
            "maintenance": maintenance, "client_ids": sorted(set(client_ids)),
        },
    )
    entry.targets.all().delete()
    ScheduleTarget.objects.bulk_create(
        [ScheduleTarget(entry=entry, kind="site", target_id=i, start_at=start_at, end_at=end_at) for i in set(site_ids)]
        + [ScheduleTarget(entry=entry, kind="service", target_id=i, start_at=start_at, end_at=end_at) for i in set(service_ids)]
    )
    return entry


def remove(ref: str) -> None:
    """Forget the entry for `ref` (cancelled, closed, deleted)."""
    ScheduleEntry.objects.filter(ref=ref).delete()


def overlapping(
    start_at: dt.datetime,
    end_at: dt.datetime,
    *,
    site_ids: Iterable[int] = (),
    service_ids: Iterable[int] = (),
    exclude_ref: str | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Planned]:
    """Entries whose [start, end) overlaps [start_at, end_at) on any of the given sites or services."""
    sites, services = set(site_ids), set(service_ids)
    if not sites and not services:
        return []
    target_q = Q()
    if sites:
        target_q |= Q(kind="site", target_id__in=sites)
    if services:
        target_q |= Q(kind="service", target_id__in=services)
    entry_ids = set(
        ScheduleTarget.objects.filter(target_q, start_at__lt=end_at, end_at__gt=start_at).values_list("entry_id", flat=True)
    )
    return _planned(entry_ids, exclude_ref=exclude_ref, kinds=kinds)


def between(start_at: dt.datetime, end_at: dt.datetime, *, kinds: Iterable[str] | None = None) -> list[Planned]:
    """Every entry overlapping [start_at, end_at), for calendars."""
    ids = set(ScheduleEntry.objects.filter(start_at__lt=end_at, end_at__gt=start_at).values_list("id", flat=True))
    return _planned(ids, kinds=kinds)


def _planned(entry_ids: set[int], *, exclude_ref: str | None = None, kinds: Iterable[str] | None = None) -> list[Planned]:
    qs = ScheduleEntry.objects.filter(id__in=entry_ids)
    if exclude_ref:
        qs = qs.exclude(ref=exclude_ref)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    entries = list(qs.order_by("start_at", "id"))
    targets: dict[int, tuple[set[int], set[int]]] = {e.id: (set(), set()) for e in entries}
    for entry_id, kind, target_id in ScheduleTarget.objects.filter(entry_id__in=targets).values_list(
        "entry_id", "kind", "target_id"
    ):
        targets[entry_id][0 if kind == "site" else 1].add(target_id)
    return [
        Planned(
            ref=e.ref, kind=e.kind, label=e.label, start_at=e.start_at, end_at=e.end_at, state=e.state,
            maintenance=e.maintenance, site_ids=frozenset(targets[e.id][0]), service_ids=frozenset(targets[e.id][1]),
        )
        for e in entries
    ]
