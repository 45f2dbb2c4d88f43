"""Reads for the SLO pages: the SLOs a user may see, their reports in a fixed number of queries,
and the synthetic checks of an SLO's service with their latest results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from opsdesk.core.errors import NotFound
from opsdesk.core.schemas import MAX_ID
from opsdesk.core.tenancy import get_scoped, scope
from opsdesk.services.models import Service

from . import queries
from .models import SliBucket, Slo, SyntheticCheck, SyntheticResult
from .reports import SloReport, report_of
from .rules import DAY, MAX_BUCKET_SECONDS, WORKBOOK_RULES, Series

RECENT_RESULTS = 10


def list_slos(user: Any, *, client: int | None = None, service: int | None = None) -> QuerySet[Slo]:
    """The API's list (queries.list_slos), with the clients, by client, service and name."""
    return queries.list_slos(user, client=client, service=service).select_related("service__client") \
        .order_by("service__client__name", "service__name", "name", "id")


def get_slo(user: Any, slo_id: int) -> Slo:
    """One SLO the user may see, or NotFound (the same answer for another client's, or an id no
    database integer holds: SQLite raises instead of finding nothing)."""
    if not 0 < slo_id <= MAX_ID:
        raise NotFound(f"No SLO matches id={slo_id}.")
    return get_scoped(list_slos(user), user, pk=slo_id)


def slo_services(user: Any) -> QuerySet[Service]:
    """Services with at least one SLO the user may see (the list's service filter)."""
    return scope(Service.objects.filter(slos__isnull=False), user).distinct().order_by("name", "id")


def _window_lengths(slos: Sequence[Slo]) -> list[float]:
    """Every window length (seconds) the reports of these SLOs read: their SLO windows and the
    Workbook rules' long and short windows, ascending."""
    lengths = {slo.window_days * DAY for slo in slos}
    for rule in WORKBOOK_RULES:
        lengths.update((rule.long_s, rule.short_s))
    return sorted(lengths)


def reports_for(slos: Sequence[Slo], now: dt.datetime) -> dict[int, SloReport]:
    """The report of each SLO at `now`, by id, in a fixed number of aggregate queries whatever
    their number: one for the bucket lengths in use, one per length (usually one or two).

    A report only reads sums over windows (now - length, now] for a few lengths, a bucket counting
    at its end, or at now while still open (reports.series_of). The database sums each SLO's
    buckets in the bands between consecutive lengths (for buckets of `s` seconds, a band of ends
    is the same band of starts moved back by `s`); each band then becomes one bucket of a small
    Series, placed at the band's newer edge, so every window of the report sums exactly the
    bands inside it (the same numbers as the full series, without reading every bucket).
    """
    if not slos:
        return {}
    lengths = _window_lengths(slos)
    edges = [0.0, *lengths]  # band i holds the ends in (now - edges[i + 1], now - edges[i]]
    recent = SliBucket.objects.filter(slo__in=[s.pk for s in slos], start_at__lte=now)
    sizes = sorted(set(recent.filter(start_at__gt=now - dt.timedelta(seconds=lengths[-1] + MAX_BUCKET_SECONDS))
                       .values_list("seconds", flat=True).distinct()))
    sums: dict[int, list[float]] = {}
    for size in sizes:
        shift = dt.timedelta(seconds=size)
        bands: dict[str, Any] = {}
        for i in range(len(lengths)):
            older = now - dt.timedelta(seconds=edges[i + 1]) - shift
            # Band 0 also holds the buckets still open (their instant is now).
            in_band = Q(start_at__gt=older) if i == 0 else \
                Q(start_at__gt=older, start_at__lte=now - dt.timedelta(seconds=edges[i]) - shift)
            bands[f"g{i}"] = Sum("good", filter=in_band)
            bands[f"v{i}"] = Sum("valid", filter=in_band)
        rows = recent.filter(seconds=size, start_at__gt=now - dt.timedelta(seconds=lengths[-1]) - shift) \
            .values("slo_id").annotate(**bands).order_by()
        for row in rows:
            total = sums.setdefault(int(row["slo_id"]), [0.0] * (2 * len(lengths)))
            for i in range(len(lengths)):
                total[2 * i] += float(row.get(f"g{i}") or 0)  # type: ignore[arg-type]
                total[2 * i + 1] += float(row.get(f"v{i}") or 0)  # type: ignore[arg-type]
    end = now.timestamp()
    out = {}
    for slo in slos:
        total = sums.get(slo.pk, [0.0] * (2 * len(lengths)))
        series = Series((end - edges[i], total[2 * i], total[2 * i + 1]) for i in range(len(lengths)))
        out[slo.pk] = report_of(slo, now, series)
    return out


def checks_for(user: Any, slo: Slo) -> list[SyntheticCheck]:
    """The synthetic checks of the SLO's service or feeding the SLO, each with `recent`: its
    latest results, newest first (two queries)."""
    recent = SyntheticResult.objects.order_by("-at", "-id")[:RECENT_RESULTS]
    qs = scope(
        SyntheticCheck.objects.filter(Q(service_id=slo.service_id) | Q(availability_slo=slo) | Q(latency_slo=slo)),
        user,
    ).select_related("availability_slo", "latency_slo")
    return list(qs.distinct().order_by("name", "id").prefetch_related(Prefetch("results", recent, to_attr="recent")))
