"""Builders for change tests: plans, a change through the real services, quick state moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.changes import services
from opsdesk.changes.models import ChangeRequest

UTC = dt.UTC
# Sunday 2 June 2030, 01:00 UTC = 02:00 in London (BST): outside business hours.
NIGHT = dt.datetime(2030, 6, 2, 1, 0, tzinfo=UTC)
# Monday 3 June 2030, 09:00 UTC = 10:00 in London: inside business hours.
OFFICE = dt.datetime(2030, 6, 3, 9, 0, tzinfo=UTC)


def plans(rollback_minutes: int = 15, verification: str = "Check the health endpoint") -> dict[str, Any]:
    return {
        "implementation_plan": "Apply the patch",
        "verification_plan": verification,
        "rollback_plan": {"steps": "Reinstall the previous version", "trigger": "Health check fails",
                          "duration_minutes": rollback_minutes},
    }


def make_change(actor: Any, *, services_: list[Any] = (), sites: list[Any] | None = None,
                start: dt.datetime = NIGHT, minutes: int = 120, **kw: Any) -> ChangeRequest:
    data: dict[str, Any] = {
        "type": "normal", "title": kw.pop("title", "Patch"), "services": [s.pk for s in services_],
        "window_start": start, "window_end": start + dt.timedelta(minutes=minutes), **plans(), **kw,
    }
    if sites is not None:
        data["sites"] = [s.pk for s in sites]
    return services.create_change(data, actor=actor)


def submit(change: ChangeRequest, actor: Any) -> ChangeRequest:
    return services.transition_change(change, "submitted", actor=actor, reason="ready")


def force_state(change: ChangeRequest, path: list[str], actor: Any) -> ChangeRequest:
    """Walk the machine along `path` through transition_change (approvals are given as needed)."""
    for to in path:
        change = services.transition_change(change, to, actor=actor, reason=f"to {to}")
    return change


def user(role: str = "engineer", **kw: Any) -> Any:
    """A user without a password (hashing one costs a quarter of a second)."""
    from tests import factories as f

    return f.make_user(role, password=None, **kw)
