"""The demo's SLOs: an availability and a latency SLO on several services with three weeks of
5-minute buckets; the EPR's latency SLO has overspent its budget and pages, the others are healthy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Max

from opsdesk.slos.models import SliBucket, Slo
from opsdesk.slos.reports import report_of

pytestmark = pytest.mark.usefixtures("demo", "db")


@pytest.fixture
def now():
    """The demo's "now": the newest bucket is the one in progress then."""
    return SliBucket.objects.aggregate(last=Max("start_at"))["last"] + dt.timedelta(minutes=1)


def test_availability_and_latency_slos_with_three_weeks_of_buckets() -> None:
    slos = Slo.objects.select_related("service")
    assert slos.count() >= 10
    assert {s.kind for s in slos} == {"availability", "latency"}
    per_slo = SliBucket.objects.values("slo").annotate(n=Count("id"))
    assert {row["n"] for row in per_slo} == {21 * 288}
    latency = slos.filter(kind="latency").first()
    assert latency.latency_threshold_ms == 800 and latency.objective == 0.95 and latency.window_days == 28
    assert len(slos.first().key_hash) == 64


def test_the_epr_latency_slo_is_burning_and_the_others_are_healthy(now) -> None:
    for slo in Slo.objects.select_related("service", "service__client"):
        report = report_of(slo, now)
        burning = slo.service.code == "epr" and slo.kind == "latency" and slo.service.client.code == "northgate"
        if burning:
            assert report.budget_remaining < 0
            assert {"page-fast", "page-slow", "ticket"} <= set(report.firing)
        else:
            assert report.budget_remaining > 0.25, slo
            assert report.firing == [], slo
