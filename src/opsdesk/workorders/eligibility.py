"""Pure eligibility of engineers for work: skills, certifications and site access valid on the day,
shifts covering the window. Shared by readiness (is anyone eligible?) and dispatch (who?).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether one engineer may do one piece of work, and every reason when not."""

    engineer_id: int
    engineer_name: str
    eligible: bool
    reasons: tuple[str, ...]



