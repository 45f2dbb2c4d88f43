"""Which policy applies and when each target stops (pure; issue 6).

Plain data in, plain data out: the policy choice by specificity, the stop states of each
target, and the state history of an object built from its creation and its transitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

import orjson

WORK_ORDER, INCIDENT = "work_order", "incident"
RESPONSE, ONSITE, RESOLUTION = "response", "onsite", "resolution"
CANCELLED = "cancelled"
UNMEASURED = "unmeasured"  # stopped by the history's only entry: imported past the target
DRAFT = "draft"

WORK_ORDER_LEVELS = ("p1", "p2", "p3", "p4")
INCIDENT_LEVELS = ("sev1", "sev2", "sev3", "sev4")
LEVELS = {WORK_ORDER: WORK_ORDER_LEVELS, INCIDENT: INCIDENT_LEVELS}

_WO_DONE = frozenset({"completed", "verified", "closed"})
# A target stops at the first entry into one of these states (a later reopen does not restart it).
STOP_STATES: dict[str, dict[str, frozenset[str]]] = {
    WORK_ORDER: {
        # Responded: the first state past submitted/triage.
        RESPONSE: frozenset({"readiness", "ready", "scheduled", "dispatched", "en_route", "on_site"}) | _WO_DONE,
        ONSITE: frozenset({"on_site"}) | _WO_DONE,
        RESOLUTION: _WO_DONE,
    },
    INCIDENT: {
        RESPONSE: frozenset({"acknowledged", "investigating", "identified", "monitoring", "resolved", "closed"}),
        RESOLUTION: frozenset({"resolved", "closed"}),
    },
}
# Work orders: "blocked" is left running on purpose: it means readiness prerequisites are missing,
# which is the provider's work to clear; waiting on the client or for access is "on_hold".
DEFAULT_PAUSE_STATES = {WORK_ORDER: ("on_hold",), INCIDENT: ()}


class PolicyLike(Protocol):
    id: int
    client_id: int | None
    level: str
    category: str
    active: bool
    resolution_minutes: int


P = TypeVar("P", bound=PolicyLike)


def specificity(policy: PolicyLike, client_ids: Sequence[int], level: str, category: str) -> int | None:
    """How well a policy fits (higher is more specific), or None when it does not apply.

    client+level+category (3) > client+level (2) > default+level+category (1) > default+level (0).
    """
    if not policy.active or policy.level != level:
        return None
    if policy.client_id is not None and policy.client_id not in client_ids:
        return None
    if policy.category and policy.category != category:
        return None
    return (2 if policy.client_id is not None else 0) + (1 if policy.category else 0)


def choose_policy(policies: Iterable[P], *, client_ids: Sequence[int], level: str, category: str = "") -> P | None:
    """The most specific active policy for the object; ties go to the strictest resolution, then the oldest."""
    best: tuple[tuple[int, int, int], P] | None = None
    for policy in policies:
        rank = specificity(policy, client_ids, level, category)
        if rank is None:
            continue
        key = (-rank, policy.resolution_minutes, policy.id)
        if best is None or key < best[0]:
            best = (key, policy)
    return best[1] if best else None


def history_of(created_at: float, transitions: Sequence[tuple[float, str, str]], current: str) -> list[tuple[float, str]]:
    """(at, state entered) in time order, from the creation and the transitions (at, before, after).

    The first state is the `before` of the first transition (the current state when none). Time
    spent as a draft is not the client's request yet: the history starts at leaving the draft
    (empty while the object is still a draft).
    """
    first = transitions[0][1] if transitions else current
    history = [(created_at, first)] + [(at, after) for at, _before, after in sorted(transitions, key=lambda t: t[0])]
    while history and history[0][1] == DRAFT:
        history.pop(0)
    return history


T = TypeVar("T")


def settled_and_next(status: str, *, stopped_at: T | None, breached_at: T | None, at_risk_at: T | None,
                     due_at: T | None) -> tuple[T | None, T | None]:
    """When a target settled (met: at its stop; breached: when its time ran out) and when time
    alone changes its status next (running: at 75 %; at risk: when due); instants of any kind."""
    settled = stopped_at if status == "met" else (breached_at or stopped_at) if status == "breached" else None
    next_check = at_risk_at if status == "running" else due_at if status == "at_risk" else None
    return settled, next_check


def encode_history(history: Sequence[tuple[float, str]]) -> str:
    """A history as SlaHistory stores it: a JSON array of [epoch, state] pairs (floats written in
    their shortest exact form, so they read back equal)."""
    return orjson.dumps([[at, state] for at, state in history]).decode()


def decode_history(text: str) -> list[list[Any]]:
    """The inverse of encode_history ([epoch, state] pairs; a clock reads them as (at, state))."""
    return orjson.loads(text) if text else []
