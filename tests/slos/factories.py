"""Helpers for SLO tests: SLOs made through the services, minute buckets written as the API writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.slos import services as slo_services
from opsdesk.slos.models import Slo
from tests import factories as f

NOW = dt.datetime(2030, 5, 20, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def make_slo(service: Any = None, kind: str = "availability", **kw: Any) -> tuple[Slo, str]:
    """An SLO and its raw key (latency SLOs default to 95 % under 800 ms)."""
    data = {"service": (service or f.make_service()).pk, "name": kw.pop("name", f"SLO {f.n()}"), "kind": kind,
            "objective": kw.pop("objective", 0.999 if kind == "availability" else 0.95), **kw}
    if kind == "latency":
        data.setdefault("latency_threshold_ms", 800)
    return slo_services.create_slo(data, actor=None)


def minutes(start: dt.datetime, n: int, good: int, total: int = 1000, seconds: int = 60) -> list[dict[str, Any]]:
    """n consecutive buckets of `seconds` from `start`, each with these counts."""
    step = dt.timedelta(seconds=seconds)
    return [{"start": start + i * step, "seconds": seconds, "good": good, "total": total} for i in range(n)]


def write(slo: Slo, buckets: list[dict[str, Any]], now: dt.datetime = NOW) -> dict[str, int]:
    """Record buckets in batches of at most 1,000, as a sender would."""
    done = {"written": 0, "replaced": 0}
    for i in range(0, len(buckets), 1000):
        got = slo_services.record_measurements(slo, buckets[i : i + 1000], now=now)
        done = {k: done[k] + got[k] for k in done}
    return done
