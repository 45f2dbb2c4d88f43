"""Postmortem and action item rows for tests, built with the ORM (no learning services involved)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.incidents.models import Incident
from opsdesk.learning.models import ActionItem, Postmortem
from tests import factories as f
from tests.incidents.factories import make_incident


def make_postmortem(incident: Incident | None = None, **fields: Any) -> Postmortem:
    """A postmortem row (all sections filled in unless given)."""
    incident = incident or make_incident()
    for name in ("summary", "impact", "detection", "response", "contributing_factors", "went_well", "was_hard"):
        fields.setdefault(name, f"{name} written")
    fields.setdefault("owner", incident.owner)
    return Postmortem.objects.create(incident=incident, **fields)


def make_action(pm: Postmortem, *, due_on: dt.date, owner: Any = None, **fields: Any) -> ActionItem:
    """An action item row."""
    fields.setdefault("title", f"Add an alert {f.n()}")
    return ActionItem.objects.create(postmortem=pm, owner=owner or pm.owner, due_on=due_on, **fields)
