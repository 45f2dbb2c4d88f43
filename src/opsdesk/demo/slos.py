"""Demo SLOs: an availability and a latency objective on a few customer-facing services of the
first copy, with three weeks of 5-minute SLI buckets. Northgate Health's EPR has been slow for
the last days: its latency SLO has overspent its error budget and its burn-rate rules fire now.

The buckets follow a day's traffic curve with noise from the step's own random stream; the
last bucket is the one in progress at the demo's "now" (today at the current time of day).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import connection

from opsdesk.accounts.models import User
from opsdesk.services.models import Service
from opsdesk.slos import services as slo_services
from opsdesk.slos.models import SliBucket, Slo

from .context import DemoContext, demo_now

BUCKET_S = 300
DAYS = 21
BATCH = 10_000
# (client code, service code, requests in a busy 5 minutes)
SLO_SERVICES = (
    ("northgate", "epr", 1800),
    ("northgate", "pacs", 400),
    ("meridian", "online-banking", 3000),
    ("meridian", "payments", 2400),
    ("helix", "api-gateway", 5000),
    ("atlas", "ecommerce", 2000),
    ("orbit", "tracking", 900),
)
BURNING = ("northgate", "epr")
# (name, kind, objective, latency threshold, usual share of bad events)
OBJECTIVES = (
    ("Availability", Slo.Kind.AVAILABILITY, 0.999, None, 0.0003),
    ("Latency under 800 ms", Slo.Kind.LATENCY, 0.95, 800, 0.015),
)
# The EPR's latency degradation: (from this long before now, share of slow requests).
DEGRADATION = ((3.5 * 86400, 0.22), (12 * 3600, 0.45), (2 * 3600, 0.85))


def build_slos(ctx: DemoContext) -> None:
    """Create the SLOs and their buckets (in batches)."""
    rng = ctx.rng("slos")
    admin = User.objects.get(username="admin")
    now = demo_now(ctx)
    last = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=now.minute % 5)
    count = DAYS * 86400 // BUCKET_S
    starts = [last - dt.timedelta(seconds=BUCKET_S * i) for i in range(count - 1, -1, -1)]
    # Busy by day, quiet at night (one curve for all: the demo's services serve daytime users).
    traffic = [0.35 + 0.65 * max(0.0, math.sin(math.pi * ((at.hour + at.minute / 60) - 6) / 14)) for at in starts]
    ages = [(now - at).total_seconds() for at in starts]
    by_code = {(s.client_id, s.code): s for s in ctx.services}
    slos: list[Slo] = []
    plans: list[tuple[Slo, int, float, bool]] = []
    for client_code, service_code, busy in SLO_SERVICES:
        service: Service = by_code[(ctx.client_for(0, client_code).pk, service_code)]
        for name, kind, objective, threshold, bad_share in OBJECTIVES:
            slo, _key = slo_services.create_slo(  # the key is not kept: the demo never sends one
                {"service": service.pk, "name": name, "kind": kind, "objective": objective, "window_days": 28,
                 "latency_threshold_ms": threshold}, actor=admin)
            slos.append(slo)
            burning = (client_code, service_code) == BURNING and kind == Slo.Kind.LATENCY
            plans.append((slo, busy, bad_share, burning))
    # ~85,000 rows: executemany with the values already in the database's form, several times
    # faster than bulk_create, which prepares every field of every row (the check constraint
    # good <= valid still holds every row).
    when = [connection.ops.adapt_datetimefield_value(at) for at in starts]
    rows: list[tuple[Any, ...]] = []
    for slo, busy, bad_share, burning in plans:
        for at, load, age in zip(when, traffic, ages, strict=True):
            valid = int(busy * load * (0.85 + 0.3 * rng.random()))
            share = bad_share * (0.2 + 1.6 * rng.random())
            if burning:
                share = max([share, *(s for since, s in DEGRADATION if age < since)])
            elif rng.random() < 0.002:  # a short blip now and then
                share *= 25
            bad = min(valid, int(valid * share + rng.random()))
            rows.append((slo.pk, at, BUCKET_S, valid - bad, valid))
    table = SliBucket._meta.db_table
    insert = f"INSERT INTO {table} (slo_id, start_at, seconds, good, valid) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH):
            cursor.executemany(insert, rows[i:i + BATCH])
    ctx.count("SLOs", len(slos))
    ctx.count("SLI buckets", len(slos) * count)
