"""Pure readiness gate: what is missing, who must act, by when, and which rule says so.

INTERFACE shared by the services (gate, at-risk maintenance), the API and the pages; the
inputs are plain data gathered by queries, so this module never touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Blocker:
    """One thing that stops the work being ready."""

    key: str  # stable: "info:<field>", "requirement:<id>", "people", "engineer", "part:<id>", "change", "freeze:<rule>"
    kind: str  # information | site_requirement | permitted_hours | freeze | people | engineer | parts | change
    detail: str  # plain words, naming the rule and local times
    owner: str  # service_desk | client | dispatch | site | engineer
    needed_by: dt.datetime | None
    rule: str  # the site requirement or completeness rule behind it
    overridden: bool = False


@dataclass(frozen=True)
class Readiness:
    """The gate's answer."""

    ready: bool
    blockers: tuple[Blocker, ...] = field(default_factory=tuple)
    at_risk: bool = False
    next_needed_by: dt.datetime | None = None
