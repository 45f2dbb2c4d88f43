"""Pure incident rules: the state machine, severity, metrics, correlation and the ranking of what changed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsdesk.core.fsm import InvalidTransition
from opsdesk.incidents import rules

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@given(st.lists(st.sampled_from(rules.STATES), max_size=30))
def test_any_walk_keeps_to_the_table_and_closed_is_final(steps: list[str]) -> None:
    state, stamped = "triggered", {}
    for target in steps:
        if rules.MACHINE.can(state, target):
            for name in rules.stamps_for(target, stamped):
                stamped[name] = T0
            state = rules.apply(state, target)
        else:
            with pytest.raises(InvalidTransition):
                rules.apply(state, target)
        if state in ("resolved", "closed"):
            assert stamped.get("resolved_at") and stamped.get("mitigated_at") and stamped.get("acknowledged_at")
    if "closed" in steps and state == "closed":
        assert rules.MACHINE.allowed("closed") == frozenset()


@pytest.mark.parametrize(("alert", "criticality", "sev"), [
    ("critical", 4, "sev1"), ("critical", 3, "sev1"), ("error", 4, "sev2"), ("critical", 2, "sev2"),
    ("warning", 4, "sev3"), ("error", 2, "sev3"), ("info", 1, "sev4"), ("warning", None, "sev4"), ("bogus", 2, "sev3"),
])
def test_severity_from_alert_and_service_criticality(alert: str, criticality: int | None, sev: str) -> None:
    assert rules.severity_for(alert, criticality) == sev


def test_metrics_in_seconds() -> None:
    m = rules.metrics(T0, T0 + dt.timedelta(minutes=2), T0 + dt.timedelta(minutes=5), None, None)
    assert m == {"time_to_detect": 120, "time_to_acknowledge": 180, "time_to_mitigate": None, "time_to_resolve": None}


def test_correlation_prefers_service_then_site_then_upstream() -> None:
    incidents = [
        rules.KnownIncident(1, T0 - dt.timedelta(minutes=10), frozenset({10}), frozenset({100})),
        rules.KnownIncident(2, T0 - dt.timedelta(minutes=5), frozenset({20}), frozenset({200})),
        rules.KnownIncident(3, T0 - dt.timedelta(hours=5), frozenset({30}), frozenset({300})),
    ]
    assert rules.correlate(10, 200, T0, incidents, [], {}).incident_id == 1  # service before site
    assert rules.correlate(99, 200, T0, incidents, [], {}).relation == "same_site"
    long_open = rules.correlate(30, None, T0, incidents, [], {})
    assert (long_open.incident_id, long_open.relation) == (3, "same_service")  # open 5 h: still the same outage
    assert rules.correlate(99, 300, T0, incidents, [], {}).relation == "trigger"  # same site, outside the window
    symptom = rules.correlate(40, None, T0, incidents, [30], {"service:40": "EPR", "service:30": "Storage"})
    assert (symptom.incident_id, symptom.relation) == (3, "upstream")
    assert "EPR depends on Storage" in symptom.reason


def test_what_changed_ranks_in_progress_changes_on_affected_services_first() -> None:
    def c(ref: str, kind: str, start: int, end: int, affected: bool, upstream: bool = False, state: str = "completed"):
        return rules.Candidate(ref, kind, ref, T0 + dt.timedelta(minutes=start), T0 + dt.timedelta(minutes=end),
                               state, affected, upstream)

    ranked = rules.rank_changes([
        c("old-change", "change", -600, -540, True),
        c("visit-now", "visit", -30, 30, True),
        c("change-now", "change", -30, 30, True),
        c("upstream-change", "change", -60, -10, False, True),
        c("failed", "change", -120, -60, True, state="failed"),
    ], T0)
    order = [r.candidate.ref for r in ranked]
    assert order[0] == "change-now" and order.index("visit-now") < order.index("old-change")
    assert "in progress when the incident started" in ranked[0].reasons
    assert any("failed" in reason for r in ranked if r.candidate.ref == "failed" for reason in r.reasons)
