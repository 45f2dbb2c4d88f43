"""Error budgets and multi-window, multi-burn-rate alerting on SLIs (pure; issue 6).

An SLI arrives as buckets of (instant, good events, valid events): availability counts requests
that succeeded, latency counts requests faster than the threshold (e.g. 95 % under 800 ms).
With an objective (e.g. 0.999 over 28 days) the error budget is 1 - objective of the valid
events, and a window's burn rate is its share of bad events divided by that budget: 1.0 spends
the budget exactly over the SLO window, 14.4 spends 2 % of a 30-day budget in one hour.

Alerting as in the Google SRE Workbook ("Alerting on SLOs", multiwindow, multi-burn-rate):
each rule has a long window, a short window (1/12 of it) and a threshold, and fires while both
windows burn faster than the threshold, so it pages fast on a sharp burn and stops soon after
the burn ends:

| rule | long window | short window | burn rate | action |
|---|---|---|---|---|
| page-fast | 1 h | 5 min | 14.4 | page |
| page-slow | 6 h | 30 min | 6 | page |
| ticket | 3 days | 6 h | 1 | ticket |

`Series` holds the buckets in time order with running sums, so each window is two bisects.
A window with no valid events burns nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

HOUR, DAY = 3600.0, 86400.0
MAX_BUCKET_SECONDS = 3600  # a bucket covers at most an hour: reads of a period start this much earlier


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    long_s: float
    short_s: float
    burn_rate: float
    action: str  # "page" or "ticket"


WORKBOOK_RULES = (
    Rule("page-fast", 1 * HOUR, 5 * 60, 14.4, "page"),
    Rule("page-slow", 6 * HOUR, 30 * 60, 6.0, "page"),
    Rule("ticket", 3 * DAY, 6 * HOUR, 1.0, "ticket"),
)


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule firing at an instant, with the burn rates that made it fire."""

    rule: Rule
    long_rate: float
    short_rate: float


class Series:
    """An SLI's buckets (at, good, valid), summed for windows ending at any instant.

    A bucket counts in the windows that contain its instant: (end - length, end].
    """

    def __init__(self, buckets: Iterable[tuple[float, float, float]]) -> None:
        rows = sorted(buckets, key=lambda b: b[0])
        for at, good, valid in rows:
            if valid < 0 or good < 0 or good > valid:
                raise ValueError(f"a bucket needs 0 <= good <= valid, got good={good} valid={valid} at {at}")
        self.at = [r[0] for r in rows]
        self._good = [0.0, *accumulate(r[1] for r in rows)]
        self._valid = [0.0, *accumulate(r[2] for r in rows)]

    def counts(self, end: float, length: float) -> tuple[float, float]:
        """(good, valid) of the buckets in (end - length, end]."""
        hi = bisect_right(self.at, end)
        lo = bisect_right(self.at, end - length)
        if hi <= lo:
            return 0.0, 0.0
        return self._good[hi] - self._good[lo], self._valid[hi] - self._valid[lo]


def budget(objective: float) -> float:
    """The error budget of an objective: the share of valid events that may be bad."""
    if not 0.0 < objective < 1.0:
        raise ValueError(f"an objective is a share strictly between 0 and 1, not {objective}")
    return 1.0 - objective


def burn_rate(series: Series, end: float, length: float, objective: float) -> float:
    """How fast the window (end - length, end] spends the budget (1.0: exactly over the SLO window)."""
    good, valid = series.counts(end, length)
    if valid == 0:
        return 0.0
    return ((valid - good) / valid) / budget(objective)


def budget_remaining(series: Series, end: float, window_s: float, objective: float) -> float:
    """Share of the error budget left over the SLO window ending at `end` (negative when overspent;
    1.0 with no valid events)."""
    good, valid = series.counts(end, window_s)
    if valid == 0:
        return 1.0
    allowed = budget(objective) * valid
    return 1.0 - (valid - good) / allowed


def firing(series: Series, end: float, objective: float, rules: Iterable[Rule] = WORKBOOK_RULES) -> list[Firing]:
    """The rules firing at `end`: both windows burn at least at the rule's rate."""
    out = []
    for rule in rules:
        long_rate = burn_rate(series, end, rule.long_s, objective)
        if long_rate < rule.burn_rate:
            continue
        short_rate = burn_rate(series, end, rule.short_s, objective)
        if short_rate >= rule.burn_rate:
            out.append(Firing(rule, long_rate, short_rate))
    return out
