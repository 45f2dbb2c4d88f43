"""Pure decisions about changes: the state machine (risk, approvals, windows, collisions follow)."""

from __future__ import annotations

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
