"""SLOs and their SLI buckets for tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from opsdesk.services.models import Service
from opsdesk.slos.models import SliBucket, Slo


def make_slo(service: Service, name: str = "Availability", kind: str = "availability", objective: float = 0.999,
             **kw: object) -> Slo:
    """An SLO with a key hash of its own (the key is never needed by the pages)."""
    digest = hashlib.sha256(f"{service.pk}:{name}".encode()).hexdigest()
    return Slo.objects.create(service=service, name=name, kind=kind, objective=objective, key_hash=digest, **kw)


def fill(slo: Slo, now: dt.datetime, *, hours: int = 48, valid: int = 1000,
         bad_share: Callable[[float], float] = lambda age_h: 0.0) -> None:
    """5-minute buckets over the last `hours`, the newest starting at `now`; `bad_share(age in hours)`
    is the share of bad events of each."""
    rows = []
    for i in range(hours * 12):
        at = now - dt.timedelta(minutes=5 * i)
        bad = int(valid * bad_share(i / 12))
        rows.append(SliBucket(slo=slo, start_at=at, seconds=300, good=valid - bad, valid=valid))
    SliBucket.objects.bulk_create(rows)
