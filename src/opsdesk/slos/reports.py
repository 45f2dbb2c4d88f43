"""What an SLO looks like now and over its window: attainment, error budget, burn rates (reads).

The arithmetic is slos.rules' (pure); this module reads the buckets once per SLO and shapes
the answers the API, the pages and the burn-rate evaluator share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .models import SliBucket, Slo
from .rules import DAY, MAX_BUCKET_SECONDS, WORKBOOK_RULES, Series, budget_remaining, burn_rate

# Enough history for the longest look-back: the SLO window, and the ticket rule's 3 days.
_LONGEST_RULE_S = max(rule.long_s for rule in WORKBOOK_RULES)


@dataclass(frozen=True)
class RuleBurn:
    """One burn-rate rule at `now`: both windows' rates and whether it fires."""

    name: str
    action: str  # page or ticket
    threshold: float
    long_window_s: float
    short_window_s: float
    long_rate: float
    short_rate: float
    firing: bool


@dataclass(frozen=True)
class SloReport:
    """An SLO over its rolling window ending at `now`."""

    slo: Slo
    now: dt.datetime
    good: float
    valid: float
    attainment: float | None  # good / valid; None without valid events
    budget_remaining: float  # share of the error budget left (negative: overspent)
    rules: list[RuleBurn] = field(default_factory=list)

    @property
    def met(self) -> bool:
        """Whether the objective holds over the window (no events: nothing failed)."""
        return self.attainment is None or self.attainment >= self.slo.objective

    @property
    def firing(self) -> list[str]:
        """Names of the rules firing now."""
        return [rule.name for rule in self.rules if rule.firing]


_LONGEST_BUCKET = dt.timedelta(seconds=MAX_BUCKET_SECONDS)  # how far before a window to read


def series_of(slo: Slo, start: dt.datetime, end: dt.datetime) -> Series:
    """The SLO's buckets ending in (start, end] (one query), each at its end instant (start + seconds),
    or at `end` while it is still open: a window ending now holds the buckets of its last hour,
    the first minute's included, and the current minute's events count at once."""
    rows = SliBucket.objects.filter(slo=slo, start_at__gte=start - _LONGEST_BUCKET, start_at__lte=end) \
        .order_by("start_at").values_list("start_at", "seconds", "good", "valid")
    last = end.timestamp()
    return Series((min(at.timestamp() + seconds, last), float(good), float(valid))
                  for at, seconds, good, valid in rows)


def _look_back(slo: Slo) -> float:
    return max(slo.window_days * DAY, _LONGEST_RULE_S)


def report_of(slo: Slo, now: dt.datetime, series: Series | None = None) -> SloReport:
    """The SLO at `now`: attainment and budget over its window, and each Workbook rule's burn."""
    if series is None:
        series = series_of(slo, now - dt.timedelta(seconds=_look_back(slo)), now)
    end, window = now.timestamp(), slo.window_days * DAY
    good, valid = series.counts(end, window)
    rules = []
    for rule in WORKBOOK_RULES:
        long_rate = burn_rate(series, end, rule.long_s, slo.objective)
        short_rate = burn_rate(series, end, rule.short_s, slo.objective)
        rules.append(RuleBurn(rule.name, rule.action, rule.burn_rate, rule.long_s, rule.short_s,
                              long_rate, short_rate, long_rate >= rule.burn_rate and short_rate >= rule.burn_rate))
    return SloReport(
        slo=slo, now=now, good=good, valid=valid, attainment=(good / valid) if valid else None,
        budget_remaining=budget_remaining(series, end, window, slo.objective), rules=rules,
    )


def budget_history(slo: Slo, now: dt.datetime, points: int = 96) -> list[tuple[dt.datetime, float, float]]:
    """(instant, budget remaining, 1-hour burn rate) at `points` evenly spaced instants over the
    SLO's window ending at `now`: each point is the rolling window ending at that instant."""
    if points < 2:
        raise ValueError("a history needs at least two points")
    window = slo.window_days * DAY
    first = now - dt.timedelta(seconds=window)
    series = series_of(slo, first - dt.timedelta(seconds=window), now)
    step = window / (points - 1)
    out = []
    for i in range(points):
        at = first + dt.timedelta(seconds=step * i)
        end = at.timestamp()
        out.append((at, budget_remaining(series, end, window, slo.objective),
                    burn_rate(series, end, WORKBOOK_RULES[0].long_s, slo.objective)))
    return out
