"""Builders of on-call data for tests."""

from __future__ import annotations

from typing import Any

from opsdesk.accounts.models import User
from opsdesk.oncall import services
from opsdesk.oncall.models import Schedule
from tests import factories as f


def make_schedule(people: list[User] | None = None, *, actor: User | None = None, **kw: Any) -> Schedule:
    """A London schedule with one daily 09:00 layer of `people` (two new engineers by default)."""
    people = people if people is not None else [f.make_user("engineer"), f.make_user("engineer")]
    data: dict[str, Any] = {
        "name": f"Schedule {f.n()}", "time_zone": "Europe/London",
        "layers": [{"name": "Primary", "rotation": "daily", "handoff": "09:00", "start": "2026-01-01",
                    "people": [p.pk for p in people]}],
        **kw,
    }
    return services.create_schedule(data, actor or f.make_user("admin"))
