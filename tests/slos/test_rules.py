"""Error budgets and the SRE Workbook's multi-window, multi-burn-rate rules (slos.rules), on
hand-computed cases."""

from __future__ import annotations

import pytest

from opsdesk.slos.rules import (
    DAY,
    HOUR,
    WORKBOOK_RULES,
    Series,
    budget,
    budget_remaining,
    burn_rate,
    firing,
)

MIN = 60.0
OBJECTIVE = 0.999  # budget: 1 bad event in 1,000


def minutes(n: int, good: float, valid: float, start: float = 0.0) -> list[tuple[float, float, float]]:
    """n one-minute buckets (at the end of each minute from `start`)."""
    return [(start + (i + 1) * MIN, good, valid) for i in range(n)]


def test_budget_and_burn_rate_by_hand() -> None:
    assert budget(OBJECTIVE) == pytest.approx(0.001)
    # 60 minutes of 1,000 requests, 2 % bad in each: 0.02 / 0.001 = burn 20x.
    series = Series(minutes(60, 980, 1000))
    assert burn_rate(series, 60 * MIN, HOUR, OBJECTIVE) == pytest.approx(20.0)
    # 28 days' budget is 0.1 % of its valid events; 60,000 valid, 1,200 bad: 1,200 / 60 allowed = 20 spent.
    assert budget_remaining(series, 60 * MIN, 28 * DAY, OBJECTIVE) == pytest.approx(1 - 20)


def test_window_edges_count_buckets_in_end_minus_length_to_end() -> None:
    series = Series([(0.0, 0, 10), (300.0, 10, 10), (600.0, 5, 10)])
    assert series.counts(600.0, 300.0) == (5, 10)  # (300, 600]
    assert series.counts(600.0, 600.0) == (15, 20)  # (0, 600]
    assert series.counts(600.0, 601.0) == (15, 30)
    assert series.counts(-1.0, 100.0) == (0, 0)
    assert burn_rate(series, -1.0, 100.0, OBJECTIVE) == 0.0  # nothing valid burns nothing
    assert budget_remaining(Series([]), 0.0, 28 * DAY, OBJECTIVE) == 1.0


def test_a_sharp_outage_pages_fast_only_while_the_short_window_burns() -> None:
    # An hour of good traffic, then 10 minutes at 5 % errors (50x), then good again.
    healthy = minutes(60, 1000, 1000)
    outage = minutes(10, 950, 1000, start=60 * MIN)
    after = minutes(20, 1000, 1000, start=70 * MIN)
    series = Series(healthy + outage + after)
    # At 70 min: 1 h window has 500 bad / 60,000 = 0.833 % -> 8.33x (< 14.4), so page-fast waits
    # even though the 5 min window burns 50x; page-slow (6 h: 500/70,000 -> 7.14x; 30 min: 500/30,000
    # -> 16.7x) fires, and so does the ticket (3 days and 6 h: 7.14x >= 1).
    at70 = {f.rule.name: f for f in firing(series, 70 * MIN, OBJECTIVE)}
    assert set(at70) == {"page-slow", "ticket"}
    assert at70["page-slow"].long_rate == pytest.approx(500 / 70000 / 0.001)
    assert at70["page-slow"].short_rate == pytest.approx(500 / 30000 / 0.001)
    # At 90 min: 6 h burns 500/90,000 = 5.6x (< 6), so page-slow has stopped; the ticket stays.
    assert [f.rule.name for f in firing(series, 90 * MIN, OBJECTIVE)] == ["ticket"]


def test_a_hard_down_pages_fast_then_stops_when_the_burn_ends() -> None:
    # 60 minutes at 100 % errors after an hour of good traffic: burn 1,000x.
    series = Series(minutes(60, 1000, 1000) + minutes(60, 0, 1000, start=60 * MIN) + minutes(10, 1000, 1000, start=120 * MIN))
    names = {f.rule.name for f in firing(series, 65 * MIN, OBJECTIVE)}
    # 5 bad minutes: 1 h window 5,000/60,000 = 83x; 5 min window 1,000x; 6 h 5,000/65,000 = 77x; 30 min 5,000/30,000 = 167x;
    # 3 days 77x, 6 h 77x: all three fire.
    assert names == {"page-fast", "page-slow", "ticket"}
    # 5 minutes after recovery the 5 min window is clean: page-fast resets, the slower ones still fire.
    names = {f.rule.name for f in firing(series, 125 * MIN, OBJECTIVE)}
    assert names == {"page-slow", "ticket"}


def test_a_slow_leak_raises_a_ticket_not_a_page() -> None:
    # Three days at 0.15 % errors: 1.5x everywhere -> only the 1x ticket rule.
    series = Series([(i * HOUR, 99850, 100000) for i in range(1, 73)])
    assert [f.rule.name for f in firing(series, 72 * HOUR, OBJECTIVE)] == ["ticket"]
    assert budget_remaining(series, 72 * HOUR, 28 * DAY, OBJECTIVE) == pytest.approx(1 - 1.5)


def test_rules_are_the_workbook_table() -> None:
    assert [(r.long_s, r.short_s, r.burn_rate, r.action) for r in WORKBOOK_RULES] == [
        (HOUR, 5 * MIN, 14.4, "page"), (6 * HOUR, 30 * MIN, 6.0, "page"), (3 * DAY, 6 * HOUR, 1.0, "ticket")]


@pytest.mark.parametrize("bad", [(0, 5, -1), (0, 6, 5), (0, -1, 0)])
def test_bad_buckets_and_objectives_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="good"):
        Series([bad])
    with pytest.raises(ValueError, match="objective"):
        budget(1.0)
