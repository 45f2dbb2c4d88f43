"""Reads of SLOs, their keys and synthetic checks, scoped to the viewer; down and degraded time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from opsdesk.core import clock
from opsdesk.core.errors import NotFound, field_error
from opsdesk.core.tenancy import get_scoped, scope

from .keys import hash_key
from .models import SliBucket, Slo, SyntheticCheck, SyntheticResult
from .rules import MAX_BUCKET_SECONDS

Interval = tuple[float, float]  # [start, end) in epoch seconds


def list_slos(user: Any, *, service: int | None = None, client: int | None = None, kind: str | None = None,
              active: bool | None = None) -> QuerySet[Slo]:
    """SLOs the user may see (client users: their own client's services'), by service and name."""
    qs = scope(Slo.objects.select_related("service"), user)
    if service is not None:
        qs = qs.filter(service_id=service)
    if client is not None:
        qs = qs.filter(service__client_id=client)
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("service__name", "name", "id")


def get_slo(user: Any, slo_id: int) -> Slo:
    """One SLO the user may see, or NotFound (also for another client's)."""
    return get_scoped(list_slos(user), user, pk=slo_id)


def get_slo_by_key(raw_key: str) -> Slo:
    """The active SLO whose SLI key this is (looked up by its hash), or NotFound."""
    slo = Slo.objects.filter(key_hash=hash_key(raw_key or ""), active=True).first() if raw_key else None
    if slo is None:
        raise NotFound("No active SLO has this SLI key.")
    return slo


def list_alerting_slos() -> list[Slo]:
    """SLOs the burn-rate evaluator looks at: active with alerting on, and any still firing (to resolve)."""
    qs = Slo.objects.filter(Q(active=True, alerting=True) | ~Q(firing={})).select_related("service", "service__client")
    return list(qs.order_by("id"))


def list_checks(user: Any, *, service: int | None = None, client: int | None = None,
                active: bool | None = None) -> QuerySet[SyntheticCheck]:
    """Synthetic checks the user may see, by service and name."""
    qs = scope(SyntheticCheck.objects.select_related("service"), user)
    if service is not None:
        qs = qs.filter(service_id=service)
    if client is not None:
        qs = qs.filter(service__client_id=client)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("service__name", "name", "id")


def get_check(user: Any, check_id: int) -> SyntheticCheck:
    """One synthetic check the user may see, or NotFound."""
    return get_scoped(list_checks(user), user, pk=check_id)


def list_results(check: SyntheticCheck) -> QuerySet[SyntheticResult]:
    """A check's runs, newest first."""
    return SyntheticResult.objects.filter(check_run=check).order_by("-at", "-id")


def list_due_checks(now: dt.datetime, limit: int) -> list[SyntheticCheck]:
    """Active checks due to run (never run, or next_run_at passed), oldest due first."""
    qs = SyntheticCheck.objects.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), active=True)
    return list(qs.select_related("availability_slo", "latency_slo").order_by("next_run_at", "id")[:limit])


# --- down and degraded time ------------------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals, as sorted disjoint intervals (touching ones joined)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: list[Interval], minus: list[Interval]) -> list[Interval]:
    """The parts of merged `intervals` outside merged `minus`."""
    out: list[Interval] = []
    j = 0
    for start, end in intervals:
        cursor = start
        while j < len(minus) and minus[j][1] <= cursor:
            j += 1
        k = j
        while k < len(minus) and minus[k][0] < end:
            if minus[k][0] > cursor:
                out.append((cursor, minus[k][0]))
            cursor = max(cursor, minus[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def length(intervals: Iterable[Interval]) -> float:
    """Total seconds of disjoint intervals."""
    return sum(end - start for start, end in intervals)


@dataclass(frozen=True)
class Downtime:
    """Down and degraded seconds of one service or one client over [start, end)."""

    id: int
    name: str
    client_id: int
    down_seconds: float
    degraded_seconds: float


@dataclass(frozen=True)
class DowntimeReport:
    """Down and degraded time per service and per client over [start, end)."""

    start: dt.datetime
    end: dt.datetime
    services: list[Downtime]
    clients: list[Downtime]


DOWN_BELOW = 0.5  # an availability bucket is down when fewer than half of its requests succeeded


def downtime(slos: Iterable[Slo], start: dt.datetime, end: dt.datetime) -> DowntimeReport:
    """Down and degraded time of the SLOs' services, and of their clients, over [start, end).

    A bucket covers [start_at, start_at + seconds), clipped to the period. An availability bucket
    is down when the service was unavailable in it: fewer than DOWN_BELOW (half) of its valid
    requests succeeded (a bucket merely below the objective, 99.5 % of 99.9 %, spends error budget
    but is not "down"). A latency bucket fails when good / valid is below its SLO's objective.
    Overlapping buckets are combined as an interval union per service, so time counts once
    however many buckets or SLOs cover it:

    - down: the union of down buckets of the service's availability SLOs;
    - degraded: the union of failing buckets of its latency SLOs, minus the down time (the latency
      objective violated while the service was available).

    A client's down time is the union of its services' down time (when at least one of them was
    down); its degraded time the union of their degraded time minus the client's down time. Time
    without measurements counts as neither. One query (the buckets) when the SLOs come with their
    service and client (list_downtime_slos).
    """
    slo_list = list(slos)
    lo, hi = start.timestamp(), end.timestamp()
    by_id = {s.pk: s for s in slo_list}
    failing: dict[tuple[int, str], list[Interval]] = defaultdict(list)
    rows = SliBucket.objects.filter(
        slo_id__in=list(by_id), start_at__lt=end, start_at__gte=start - dt.timedelta(seconds=MAX_BUCKET_SECONDS),
    ).values_list("slo_id", "start_at", "seconds", "good", "valid")
    for slo_id, at, seconds, good, valid in rows.iterator(chunk_size=5000):
        slo = by_id[slo_id]
        floor = DOWN_BELOW if slo.kind == Slo.Kind.AVAILABILITY else slo.objective
        if not valid or good / valid >= floor:
            continue
        b_start = at.timestamp()
        clipped = (max(b_start, lo), min(b_start + seconds, hi))
        if clipped[1] > clipped[0]:
            failing[slo.service_id, slo.kind].append(clipped)
    services: list[Downtime] = []
    per_client: dict[int, tuple[str, list[Interval], list[Interval]]] = {}
    seen: set[int] = set()
    for slo in sorted(slo_list, key=lambda s: (s.service.name, s.service_id)):
        service = slo.service
        if service.pk in seen:
            continue
        seen.add(service.pk)
        down = merge(failing[service.pk, Slo.Kind.AVAILABILITY])
        degraded = subtract(merge(failing[service.pk, Slo.Kind.LATENCY]), down)
        services.append(Downtime(service.pk, service.name, service.client_id, length(down), length(degraded)))
        entry = per_client.setdefault(service.client_id, (service.client.name, [], []))
        entry[1].extend(down)
        entry[2].extend(degraded)
    clients = []
    for client_id, (name, down_parts, degraded_parts) in sorted(per_client.items()):
        down = merge(down_parts)
        degraded = subtract(merge(degraded_parts), down)
        clients.append(Downtime(client_id, name, client_id, length(down), length(degraded)))
    return DowntimeReport(start, end, services, clients)


def list_downtime_slos(user: Any, *, client: int | None = None, service: int | None = None) -> list[Slo]:
    """The SLOs a downtime report covers: those the user may see, of a client or a service."""
    qs = list_slos(user, client=client, service=service).select_related("service__client")
    return list(qs)


MAX_DOWNTIME_DAYS = 400
DEFAULT_DOWNTIME_DAYS = 28


def downtime_report(user: Any, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
                    client: int | None = None, service: int | None = None) -> DowntimeReport:
    """Down and degraded time of the SLOs the user may see (of a client or a service) over
    [start, end); by default the 28 days up to now."""
    end = end or clock.now()
    start = start or end - dt.timedelta(days=DEFAULT_DOWNTIME_DAYS)
    if end <= start:
        raise field_error("end", "must be after start")
    if end - start > dt.timedelta(days=MAX_DOWNTIME_DAYS):
        raise field_error("start", f"a period of at most {MAX_DOWNTIME_DAYS} days")
    return downtime(list_downtime_slos(user, client=client, service=service), start, end)
