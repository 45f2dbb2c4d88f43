"""Pure decisions about changes: the state machine, what each step needs, review rules.

Risk, approvals and collisions have their own modules (risk.py, approvals.py, collisions.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.core.fsm import Machine

STATES = (
    "draft", "submitted", "assessing", "approved", "scheduled", "implementing",
    "completed", "rolled_back", "failed", "reviewed", "closed", "rejected", "cancelled",
)

MACHINE = Machine.build(
    "change",
    STATES,
    {
        "draft": ["submitted", "cancelled"],
        "submitted": ["assessing", "draft", "rejected", "cancelled"],
        "assessing": ["approved", "rejected", "draft", "cancelled"],
        "approved": ["scheduled", "cancelled"],
        "scheduled": ["implementing", "cancelled"],
        "implementing": ["completed", "rolled_back", "failed"],
        "completed": ["reviewed"],
        "rolled_back": ["reviewed"],
        "failed": ["reviewed"],
        "reviewed": ["closed"],
        "closed": [],
        "rejected": ["draft"],
        "cancelled": [],
    },
)

# States in which a change occupies its window (collisions, calendars).
PLANNED_STATES = frozenset({"submitted", "assessing", "approved", "scheduled", "implementing"})
# States whose window is a maintenance period (alerts on its services are annotated).
MAINTENANCE_STATES = frozenset({"approved", "scheduled", "implementing"})
# Finished implementations, for the change failure rate.
IMPLEMENTED_STATES = frozenset({"completed", "rolled_back", "failed", "reviewed", "closed"})

# Changes whose content may still be edited (approvals given so far are reset by an edit).
EDITABLE_STATES = frozenset({"draft", "submitted", "assessing", "rejected"})
# States in which approvers decide.
DECIDING_STATES = frozenset({"submitted", "assessing"})
# The end of an implementation: completed_at is set on entering one of them.
FINISHED_STATES = frozenset({"completed", "rolled_back", "failed"})
# States that keep their core.schedule entry: planned ones, and implemented ones so that
# "what changed" (incidents) can find recent changes. Draft, rejected and cancelled do not.
SCHEDULED_STATES = PLANNED_STATES | IMPLEMENTED_STATES
# Transitions that must say why.
REASON_REQUIRED = frozenset({"cancelled", "rolled_back", "failed"})
# The outcomes a review may record for each finished state.
OUTCOMES_FOR = {
    "completed": frozenset({"successful", "successful_with_issues"}),
    "rolled_back": frozenset({"rolled_back"}),
    "failed": frozenset({"failed"}),
}
FAILED_OUTCOMES = frozenset({"rolled_back", "failed"})

# A change window is at most this long (longer work is several changes) and within these years,
# so that window arithmetic (business hours, recurrences) stays bounded.
MAX_WINDOW = dt.timedelta(days=31)
YEARS = (2000, 2199)


def window_problems(start: dt.datetime, end: dt.datetime) -> list[tuple[str, str]]:
    """(field, message) for a change window that is not acceptable: naive, reversed, too long."""
    problems: list[tuple[str, str]] = []
    for name, value in (("window_start", start), ("window_end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append((name, "must include a UTC offset, e.g. 2025-06-01T01:00:00+01:00"))
        elif not YEARS[0] <= value.astimezone(dt.UTC).year <= YEARS[1]:
            problems.append((name, f"must fall between the years {YEARS[0]} and {YEARS[1]}"))
    if problems:
        return problems
    if end <= start:
        problems.append(("window_end", "must be after window_start"))
    elif end - start > MAX_WINDOW:
        problems.append(("window_end", f"a change window lasts at most {MAX_WINDOW.days} days"))
    return problems


def submission_problems(
    change_type: str, implementation_plan: str, verification_plan: str, rollback_plan: dict[str, Any] | None
) -> list[str]:
    """What a change still lacks before it can be submitted, by type.

    Every change needs an implementation plan; normal changes also a verification plan; normal
    and emergency changes a rollback plan (steps, trigger, duration). Drafts may be incomplete.
    """
    missing: list[str] = []
    if not implementation_plan.strip():
        missing.append("an implementation plan")
    if change_type == "normal" and not verification_plan.strip():
        missing.append("a verification plan")
    if change_type in ("normal", "emergency") and not rollback_plan:
        missing.append("a rollback plan (steps, trigger, duration_minutes)")
    return missing


def review_problems(state: str, outcome: str, lessons: str) -> list[str]:
    """What is wrong with a post-implementation review of a change in `state`."""
    problems: list[str] = []
    allowed = OUTCOMES_FOR.get(state)
    if allowed is not None and outcome not in allowed:
        problems.append(f"a change that ended '{state}' has outcome {' or '.join(sorted(allowed))}")
    if not outcome:
        problems.append("an outcome is required")
    if not lessons.strip():
        problems.append("lessons are required (what to keep, what to change)")
    return problems


def is_failure(state: str, outcome: str, caused_incident: bool) -> bool:
    """A change that was rolled back, failed, or caused an incident (change failure rate)."""
    return state in FAILED_OUTCOMES or outcome in FAILED_OUTCOMES or caused_incident
