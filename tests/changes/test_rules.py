"""The change state machine and the pure checks of each step, table-driven."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes import rules
from opsdesk.core.fsm import InvalidTransition

UTC = dt.UTC
T = dt.datetime(2030, 6, 2, 1, 0, tzinfo=UTC)

ALLOWED = [
    ("draft", "submitted"), ("draft", "cancelled"),
    ("submitted", "assessing"), ("submitted", "draft"), ("submitted", "rejected"), ("submitted", "cancelled"),
    ("assessing", "approved"), ("assessing", "rejected"), ("assessing", "draft"), ("assessing", "cancelled"),
    ("approved", "scheduled"), ("approved", "cancelled"),
    ("scheduled", "implementing"), ("scheduled", "cancelled"),
    ("implementing", "completed"), ("implementing", "rolled_back"), ("implementing", "failed"),
    ("completed", "reviewed"), ("rolled_back", "reviewed"), ("failed", "reviewed"),
    ("reviewed", "closed"), ("rejected", "draft"),
]


@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_allowed_steps(src, dst):
    assert rules.MACHINE.apply(src, dst) == dst


@pytest.mark.parametrize(
    ("src", "dst"),
    [(s, d) for s in rules.STATES for d in rules.STATES if (s, d) not in ALLOWED],
)
def test_every_other_step_is_refused_with_the_allowed_states(src, dst):
    with pytest.raises(InvalidTransition) as err:
        rules.MACHINE.apply(src, dst)
    assert f"from '{src}'" in err.value.detail
    for option in rules.MACHINE.allowed(src):
        assert option in err.value.detail
    if not rules.MACHINE.allowed(src):
        assert "final state" in err.value.detail


def test_unknown_state_names_the_states():
    with pytest.raises(InvalidTransition, match="states are: draft"):
        rules.MACHINE.apply("draft", "done")


def test_state_sets_are_consistent():
    assert rules.MAINTENANCE_STATES <= rules.PLANNED_STATES
    assert rules.PLANNED_STATES.isdisjoint(rules.IMPLEMENTED_STATES)
    assert {"draft", "rejected", "cancelled"}.isdisjoint(rules.SCHEDULED_STATES)
    assert rules.FINISHED_STATES <= rules.IMPLEMENTED_STATES
    assert set(rules.EDITABLE_STATES) | set(rules.SCHEDULED_STATES) | {"cancelled"} == set(rules.STATES)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (T, T + dt.timedelta(hours=1), []),
        (T, T, ["window_end"]),
        (T, T - dt.timedelta(minutes=1), ["window_end"]),
        (T, T + dt.timedelta(days=32), ["window_end"]),
        (T.replace(tzinfo=None), T + dt.timedelta(hours=1), ["window_start"]),
        (T.replace(year=1900), T, ["window_start"]),
    ],
)
def test_window_problems(start, end, fields):
    assert [f for f, _ in rules.window_problems(start, end)] == fields


ROLLBACK = {"steps": "s", "trigger": "t", "duration_minutes": 10}


@pytest.mark.parametrize(
    ("kind", "impl", "verify", "rollback", "missing"),
    [
        ("normal", "x", "y", ROLLBACK, []),
        ("normal", "x", "", ROLLBACK, ["a verification plan"]),
        ("normal", "x", "y", None, ["a rollback plan (steps, trigger, duration_minutes)"]),
        ("emergency", "x", "", ROLLBACK, []),
        ("emergency", "x", "", None, ["a rollback plan (steps, trigger, duration_minutes)"]),
        ("standard", "x", "", None, []),
        ("standard", " ", "", None, ["an implementation plan"]),
    ],
)
def test_submission_needs_plans_by_type(kind, impl, verify, rollback, missing):
    assert rules.submission_problems(kind, impl, verify, rollback) == missing


@pytest.mark.parametrize(
    ("state", "outcome", "lessons", "ok"),
    [
        ("completed", "successful", "keep", True),
        ("completed", "successful_with_issues", "keep", True),
        ("completed", "failed", "keep", False),
        ("rolled_back", "rolled_back", "keep", True),
        ("rolled_back", "successful", "keep", False),
        ("failed", "failed", "", False),
        ("reviewed", "successful", "amended", True),
        ("reviewed", "", "amended", False),
    ],
)
def test_review_rules(state, outcome, lessons, ok):
    assert (rules.review_problems(state, outcome, lessons) == []) is ok


@pytest.mark.parametrize(
    ("state", "outcome", "incident", "failed"),
    [("completed", "", False, False), ("rolled_back", "", False, True), ("reviewed", "failed", False, True),
     ("closed", "successful", True, True), ("closed", "successful", False, False)],
)
def test_failure_definition(state, outcome, incident, failed):
    assert rules.is_failure(state, outcome, incident) is failed
