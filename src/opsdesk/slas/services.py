"""SLA policy use cases: create and update, validated (levels, categories, minutes, states)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import timeline
from opsdesk.core.audit import record_audit, target_of
from opsdesk.core.errors import field_error
from opsdesk.incidents.models import Incident
from opsdesk.tenancy.models import Client
from opsdesk.workorders.models import CATEGORIES, WorkOrder

from . import tasks
from .models import SlaPolicy, default_pause_on
from .pauses import PARTIES
from .targets import DEFAULT_PAUSE_STATES, LEVELS, STOP_STATES, WORK_ORDER

FIELDS = ("name", "applies_to", "client", "level", "category", "response_minutes", "onsite_minutes",
          "resolution_minutes", "business_hours", "pause_states", "pause_on", "active")
MAX_MINUTES = 10 * 366 * 24 * 60  # ten years: beyond any contract, within every integer column


def _states(applies_to: str) -> set[str]:
    model = WorkOrder if applies_to == WORK_ORDER else Incident
    return {value for value, _label in model.State.choices}


def _validate(policy: SlaPolicy) -> None:
    """Raise a field error for the first thing a policy may not be."""
    if not (policy.name or "").strip():
        raise field_error("name", "a policy needs a name")
    if "\x00" in policy.name:
        raise field_error("name", "may not contain NUL characters")
    if policy.applies_to not in LEVELS:
        raise field_error("applies_to", f"one of {', '.join(LEVELS)}")
    if policy.level not in LEVELS[policy.applies_to]:
        raise field_error("level", f"for {policy.applies_to} one of {', '.join(LEVELS[policy.applies_to])}")
    if policy.category:
        if policy.applies_to != WORK_ORDER:
            raise field_error("category", "only work order policies have a category")
        if policy.category not in {value for value, _label in CATEGORIES}:
            raise field_error("category", f"unknown work category: {policy.category}")
    for name in ("response_minutes", "onsite_minutes", "resolution_minutes"):
        value = getattr(policy, name)
        if value is None and name != "onsite_minutes":
            raise field_error(name, "required")
        if value is not None and not 0 < value <= MAX_MINUTES:
            raise field_error(name, f"a positive number of minutes, at most {MAX_MINUTES}")
    if policy.onsite_minutes is not None and policy.applies_to != WORK_ORDER:
        raise field_error("onsite_minutes", "only work orders have an on-site target")
    states = policy.pause_states
    if not isinstance(states, list) or not all(isinstance(s, str) for s in states):
        raise field_error("pause_states", "a list of state names")
    known = _states(policy.applies_to)
    unknown = sorted(set(states) - known)
    if unknown:
        raise field_error("pause_states", f"unknown state(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    _validate_pause_on(policy)
    stops = set().union(*STOP_STATES[policy.applies_to].values()) | {"cancelled"}
    if stops & set(states):
        raise field_error("pause_states", f"a state that stops a clock cannot pause it: {', '.join(sorted(stops & set(states)))}")


def _validate_pause_on(policy: SlaPolicy) -> None:
    """pause_on is {"blockers": [parties]}: whose readiness blockers hold a work order's resolution clock."""
    value = policy.pause_on
    if not isinstance(value, dict) or set(value) - {"blockers"}:
        raise field_error("pause_on", 'an object {"blockers": [...]} naming client and/or third_party')
    blockers = value.get("blockers", [])
    if not isinstance(blockers, list) or not all(isinstance(b, str) for b in blockers):
        raise field_error("pause_on", "blockers is a list of parties: client, third_party")
    unknown = sorted(set(blockers) - set(PARTIES))
    if unknown:
        raise field_error("pause_on", f"unknown party or parties {', '.join(unknown)}; known: {', '.join(PARTIES)}")
    if blockers and policy.applies_to != WORK_ORDER:
        raise field_error("pause_on", "only work orders have readiness blockers")
    policy.pause_on = {"blockers": sorted(set(blockers), key=PARTIES.index)}


def _pause_on(data: dict[str, Any], applies_to: str) -> dict[str, Any]:
    """The pause_on of a new policy: as given (states go to pause_states), else the kind's default."""
    given = data.get("pause_on")
    if isinstance(given, dict) and given.get("blockers") is not None:
        return {k: v for k, v in given.items() if k != "states"}
    if given is not None and not isinstance(given, dict):
        return given  # type: ignore[no-any-return]  # refused by _validate_pause_on
    return default_pause_on() if applies_to == WORK_ORDER else {"blockers": []}


def _client(value: Any) -> Client | None:
    if value is None:
        return None
    client = Client.objects.filter(pk=value).first()
    if client is None:
        raise field_error("client", f"unknown client id: {value}")
    return client


@transaction.atomic
def create_policy(data: dict[str, Any], *, actor: User) -> SlaPolicy:
    """Add an SLA policy (pause states default to the kind's: on hold for work orders)."""
    values = {k: data[k] for k in FIELDS if data.get(k) is not None}
    values["client"] = _client(data.get("client"))
    values["pause_on"] = _pause_on(data, str(values.get("applies_to")))
    if isinstance(data.get("pause_on"), dict) and data["pause_on"].get("states") is not None:
        values["pause_states"] = data["pause_on"]["states"]
    if "pause_states" not in values:
        values["pause_states"] = list(DEFAULT_PAUSE_STATES.get(str(values.get("applies_to")), ()))
    values.setdefault("category", "")
    policy = SlaPolicy(**values)
    _validate(policy)
    policy.save()
    timeline.record(policy, "created", actor=actor, summary=f"SLA policy {policy.name}")
    record_audit("sla_policy.created", actor=actor, target=target_of(policy), after=timeline.snapshot(policy))
    tasks.recompute_open.enqueue(policy.applies_to)
    return policy


@transaction.atomic
def update_policy(policy: SlaPolicy, data: dict[str, Any], *, actor: User) -> SlaPolicy:
    """Change a policy's fields (only those given); the kind and the rest are validated together."""
    before = timeline.snapshot(policy)
    for key, value in data.items():
        if key not in FIELDS:
            continue
        if key == "client":
            policy.client = _client(value)
        elif key == "pause_on" and isinstance(value, dict):
            if value.get("states") is not None:
                policy.pause_states = value["states"]
            if value.get("blockers") is not None:
                policy.pause_on = {k: v for k, v in value.items() if k != "states"}
        elif key == "pause_on" and value is not None:
            policy.pause_on = value  # refused by _validate_pause_on
        elif key == "category":
            policy.category = value or ""
        elif value is None and key not in ("onsite_minutes",):
            raise field_error(key, "may not be null")
        else:
            setattr(policy, key, value)
    _validate(policy)
    policy.save()
    changes = timeline.diff(before, timeline.snapshot(policy))
    if changes:
        timeline.record(policy, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
        record_audit(
            "sla_policy.changed", actor=actor, target=target_of(policy),
            before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()},
        )
        tasks.recompute_open.enqueue(policy.applies_to)
    return policy
