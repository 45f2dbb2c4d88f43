"""Pure decisions about work orders: the state machine and the readiness gate.

Readiness and eligibility are computed from plain data (see readiness.py, eligibility.py),
never ticked by hand; the machine below says which moves exist, and the gate says which of
them the blockers allow.
"""

from __future__ import annotations

from opsdesk.core.fsm import Machine

STATES = (
    "draft", "submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route",
    "on_site", "completed", "verified", "closed", "on_hold", "blocked", "cancelled",
)

MACHINE = Machine.build(
    "work order",
    STATES,
    {
        "draft": ["submitted", "cancelled"],
        "submitted": ["triage", "cancelled"],
        "triage": ["readiness", "on_hold", "cancelled"],
        "readiness": ["ready", "blocked", "on_hold", "cancelled"],
        "ready": ["scheduled", "readiness", "blocked", "on_hold", "cancelled"],
        "scheduled": ["dispatched", "ready", "blocked", "on_hold", "cancelled"],
        "dispatched": ["en_route", "scheduled", "blocked", "on_hold", "cancelled"],
        "en_route": ["on_site", "dispatched", "on_hold"],
        "on_site": ["completed", "on_hold"],
        "completed": ["verified", "on_site"],
        "verified": ["closed"],
        "closed": [],
        "on_hold": ["triage", "readiness", "ready", "scheduled", "cancelled"],
        "blocked": ["readiness", "ready", "on_hold", "cancelled"],
        "cancelled": [],
    },
)

# Moves that the readiness gate guards: no open blocker unless a dispatcher overrode it.
GATED = frozenset({"ready", "scheduled", "dispatched"})
# States in which readiness is evaluated and maintained (before the work is done).
OPEN_STATES = frozenset({"submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route", "blocked", "on_hold"})
# States in which an engineer is at or on the way to the site (a 'visit' on core.schedule).
VISIT_STATES = frozenset({"scheduled", "dispatched", "en_route", "on_site"})
