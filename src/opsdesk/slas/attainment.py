"""SLA attainment: the share of settled targets met, per client, region or site and month (reads).

Attainment is on provider time: time paused while the work waited on the client or a third party
(slas.pauses) does not count against the target. `raw_met` counts the targets met even with the
paused time added back (elapsed + paused within the target), so both figures can be shown.
Counted from the stored clocks (SlaClockState): a target is settled when it was met (stopped
within its target) or breached (the instant its business time ran out, stopped or not). It counts
in the month (UTC) it settled in. Cancelled, paused and running targets are not counted. Work
orders count under their client and site; incidents under their first affected client and site.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from opsdesk.core.errors import field_error
from opsdesk.core.tenancy import scope

from .models import SlaClockState
from .targets import INCIDENT, ONSITE, RESOLUTION, RESPONSE, WORK_ORDER

GROUPS = {
    "client": ("client_id", "client__name"),
    "region": ("site__region_id", "site__region__name"),
    "site": ("site_id", "site__name"),
}
KINDS = (WORK_ORDER, INCIDENT)
TARGETS = (RESPONSE, ONSITE, RESOLUTION)
MAX_MONTHS = 36


@dataclass(frozen=True)
class Attainment:
    """One group's settled targets in one month."""

    group_id: int | None
    group_name: str
    month: str  # YYYY-MM
    met: int
    breached: int
    raw_met: int = 0  # met even counting the time paused on the client and third parties

    @property
    def raw_attainment(self) -> float:
        """Share met counting the paused time (0..1): the figure before pauses excused anything."""
        return self.raw_met / self.total

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def attainment(self) -> float:
        """Share met (0..1); a row exists only when something settled."""
        return self.met / self.total


def parse_month(value: str | None, field: str) -> dt.date | None:
    """'2026-11' -> 1 November 2026 (None when empty); a clear error otherwise."""
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    try:
        if match is None:
            raise ValueError(value)
        return dt.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise field_error(field, f"a month is written YYYY-MM, e.g. 2026-11, not {value!r}") from None


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(since: str | None, until: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and last months asked for (default: the last six months)."""
    last = parse_month(until, "until") or today.replace(day=1)
    first = parse_month(since, "since") or _add_months(last, -5)
    if first > last:
        raise field_error("since", "since is after until")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise field_error("since", f"ask for at most {MAX_MONTHS} months at a time")
    return first, last


def list_attainment(user: Any, *, group_by: str = "client", kind: str = WORK_ORDER, target: str = RESOLUTION,
                    first: dt.date, last: dt.date) -> list[Attainment]:
    """Met and breached targets per group and month in [first, last] that `user` may see (client
    users: their own client's), ordered by group name then month. One aggregate query."""
    if group_by not in GROUPS:
        raise field_error("group_by", f"group by one of {', '.join(GROUPS)}")
    if kind not in KINDS:
        raise field_error("kind", f"one of {', '.join(KINDS)}")
    if target not in TARGETS:
        raise field_error("target", f"one of {', '.join(TARGETS)}")
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(_add_months(last, 1), dt.time(), dt.UTC)
    key, name = GROUPS[group_by]
    rows = (
        scope(SlaClockState.objects.all(), user)
        .filter(kind=kind, target=target, status__in=("met", "breached"), settled_at__gte=start, settled_at__lt=end)
        .annotate(month=TruncMonth("settled_at", tzinfo=dt.UTC), group_id=F(key), group_name=F(name))
        .values("group_id", "group_name", "month")
        .annotate(met=Count("id", filter=Q(status="met")), breached=Count("id", filter=Q(status="breached")),
                  raw_met=Count("id", filter=Q(status="met",
                                               paused_minutes__lte=F("target_minutes") - F("elapsed_minutes"))))
        .order_by("group_name", "group_id", "month")
    )
    return [
        Attainment(r["group_id"], r["group_name"] or "(none)", r["month"].strftime("%Y-%m"), r["met"], r["breached"],
                   r["raw_met"])
        for r in rows
    ]


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """Every month from first to last as YYYY-MM (the report's columns)."""
    out, month = [], first
    while month <= last:
        out.append(month.strftime("%Y-%m"))
        month = _add_months(month, 1)
    return out
