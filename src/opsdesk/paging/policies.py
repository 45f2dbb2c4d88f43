"""Use cases of escalation policies: create, change, delete (steps given nested, replaced whole)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.alerts.models import Integration
from opsdesk.core import timeline
from opsdesk.core.actors import Actor
from opsdesk.core.errors import field_error
from opsdesk.incidents.models import IncidentRole
from opsdesk.oncall.models import Schedule
from opsdesk.services.models import Service
from opsdesk.tenancy.models import Client

from . import rules
from .models import EscalationPolicy, EscalationStep

ROLES = {r.value for r in IncidentRole.Role}
TARGETS = {t.value for t in EscalationStep.Target}


def _ids(model: type[Any], ids: list[int], field: str) -> list[Any]:
    found = {o.pk: o for o in model.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise field_error(field, f"unknown id(s): {', '.join(map(str, missing))}")
    return [found[i] for i in dict.fromkeys(ids)]


def _steps(steps: list[dict[str, Any]]) -> list[EscalationStep]:
    """Checked steps (not saved): a known target, a ref where the target needs one."""
    made = []
    for i, s in enumerate(steps):
        field = f"steps[{i}]"
        kind = s.get("target")
        if kind not in TARGETS:
            raise field_error(f"{field}.target", f"one of {', '.join(sorted(TARGETS))}")
        ref, team, roles = s.get("ref"), (s.get("team") or "").strip(), list(s.get("roles") or [])
        person = get_user_model().objects.filter(pk=ref or 0, is_active=True).first() if kind == "person" else None
        if kind == "person" and person is None:
            raise field_error(f"{field}.ref", f"no active user {ref}" if ref else "the person's user id")
        schedule = Schedule.objects.filter(pk=ref or 0).first() if kind == "schedule" else None
        if kind == "schedule" and schedule is None:
            raise field_error(f"{field}.ref", f"no on-call schedule {ref}" if ref else "the schedule's id")
        if kind == "team" and not team:
            raise field_error(f"{field}.team", "the team (group) name")
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise field_error(f"{field}.roles", f"unknown role(s) {', '.join(map(str, unknown))}; "
                              f"roles are {', '.join(sorted(ROLES))}")
        wait = float(s.get("wait_minutes", 15))
        if not 0 <= wait <= 7 * 24 * 60:
            raise field_error(f"{field}.wait_minutes", "between 0 and 10080 minutes")
        made.append(EscalationStep(position=i, target_kind=kind, schedule=schedule, person=person,
                                   team=team if kind == "team" else "", roles=roles if kind == "roles" else [],
                                   wait_minutes=wait))
    return made


def _severity_rules(value: dict[str, str]) -> dict[str, str]:
    bad = {k: v for k, v in value.items() if k not in rules.SEVERITIES or v not in rules.MODES}
    if bad:
        raise field_error("severity_rules", f"severities {', '.join(rules.SEVERITIES)} map to one of "
                          f"{', '.join(rules.MODES)}")
    return dict(value)


def _apply(policy: EscalationPolicy, data: dict[str, Any], *, creating: bool) -> None:
    for name in ("name", "description", "repeat", "is_default"):
        if data.get(name) is not None:
            setattr(policy, name, data[name])
    if not (policy.name or "").strip():
        raise field_error("name", "a policy needs a name")
    if data.get("severity_rules") is not None:
        policy.severity_rules = {**policy.severity_rules, **_severity_rules(data["severity_rules"])}
    if "client" in data:
        policy.client = _ids(Client, [data["client"]], "client")[0] if data["client"] else None
    steps = _steps(data["steps"]) if data.get("steps") is not None else None
    services = _ids(Service, data["services"], "services") if data.get("services") is not None else None
    integrations = _ids(Integration, data["integrations"], "integrations") if data.get("integrations") is not None else None
    policy.save()
    if steps is not None:
        policy.steps.all().delete()
        for step in steps:
            step.policy = policy
        EscalationStep.objects.bulk_create(steps)
    if services is not None:
        policy.services.set(services)
    if integrations is not None:
        policy.integrations.set(integrations)


@transaction.atomic
def create_policy(data: dict[str, Any], *, actor: Actor) -> EscalationPolicy:
    """A new escalation policy with its steps."""
    policy = EscalationPolicy()
    _apply(policy, data, creating=True)
    timeline.record(policy, "created", actor=actor, summary=f"Escalation policy {policy.name} created")
    return policy


@transaction.atomic
def update_policy(policy: EscalationPolicy, data: dict[str, Any], *, actor: Actor) -> EscalationPolicy:
    """Change a policy (steps, when given, replace the old ones; running escalations read the new steps)."""
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    _apply(policy, data, creating=False)
    timeline.record(policy, "updated", actor=actor, summary=f"Escalation policy {policy.name} changed")
    return policy


@transaction.atomic
def delete_policy(policy: EscalationPolicy, *, actor: Actor) -> None:
    """Delete a policy (escalations it started keep their pages; they stop advancing)."""
    timeline.record(policy, "deleted", actor=actor, summary=f"Escalation policy {policy.name} deleted")
    policy.delete()
