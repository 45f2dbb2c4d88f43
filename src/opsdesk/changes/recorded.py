"""Changes recorded after the fact: a deploy or configuration push a tool reported (alerts' change
events) becomes an implemented standard change, so the calendar, the change list, "what changed"
and the change failure rate see it like any other change.

A record is not a request: nobody approves a deploy that already happened, so it is created in
its final state ("completed", with the time it happened) instead of being walked through the
approval steps, whose guards (approvals, site windows) judge plans, not facts. From there it moves
on through `services.transition_change` like every change (review, close).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from opsdesk.core import crud, timeline
from opsdesk.core.actors import Actor
from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from . import services
from .models import ChangeRequest

# A reported change is an instant; a window must have a length (end after start).
RECORDED_LENGTH = dt.timedelta(minutes=1)


@transaction.atomic
def record_implemented_change(
    *, title: str, description: str, at: dt.datetime, owner: Any, service_ids: list[int], site_ids: list[int],
    actor: Actor, source: str = "",
) -> ChangeRequest:
    """Record a change that already happened at `at` as a completed standard change."""
    fields = {
        "type": ChangeRequest.Type.STANDARD, "title": title[:200], "description": description,
        "window_start": at, "window_end": at + RECORDED_LENGTH, "owner": owner,
        "state": ChangeRequest.State.COMPLETED, "completed_at": at, "team": source[:100],
    }
    m2m: dict[str, list[Any]] = {
        "services": list(Service.objects.filter(pk__in=service_ids)),
        "sites": list(Site.objects.filter(pk__in=site_ids)),
    }
    change = crud.create(ChangeRequest, fields, actor=actor, m2m=m2m)
    timeline.record(change, "recorded", actor=actor, summary=f"Recorded as implemented from {source or 'a change event'}")
    services._derive(change, actor)  # clients, risk, the core.schedule entry (what changed, collisions)
    return change
