"""Who a step pages at an instant: the on-call of a schedule, a person, a team, the role holders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from opsdesk.incidents.models import Incident, IncidentRole
from opsdesk.oncall import queries as oncall_queries
from opsdesk.oncall.models import Schedule

from .models import EscalationStep


def on_call_of_schedule(ref: int | None, at: dt.datetime) -> tuple[list[Any], str]:
    """The people on call of schedule `ref` at `at` and the schedule's name (the one seam to oncall)."""
    if ref is None:
        return [], "a schedule"
    schedule = Schedule.objects.filter(pk=ref).first()
    if schedule is None:
        return [], f"schedule {ref} (gone)"
    return list(oncall_queries.on_call(schedule, at)), str(schedule.name)


def team_members(team: str) -> list[Any]:
    """A team is the Django auth Group of that name; its active members."""
    users = get_user_model().objects.filter(groups__name=team, is_active=True).order_by("id")
    return list(users.distinct())


def role_holders(incident: Incident, roles: list[str]) -> list[Any]:
    """The holders of these roles on the incident (all roles when none are named), else its owner."""
    held = IncidentRole.objects.filter(incident=incident).select_related("user").order_by("id")
    if roles:
        held = held.filter(role__in=roles)
    people = list({r.user.pk: r.user for r in held if r.user.is_active}.values())
    return people or [incident.owner]


def resolve(step: EscalationStep, incident: Incident, at: dt.datetime) -> tuple[list[Any], str]:
    """The people the step pages at `at`, and how the timeline names them."""
    kind = step.target_kind
    if kind == EscalationStep.Target.SCHEDULE:
        people, name = on_call_of_schedule(step.target_ref, at)
        return people, f"the on-call of {name}"
    if kind == EscalationStep.Target.PERSON:
        user = get_user_model().objects.filter(pk=step.target_ref or 0, is_active=True).first()
        return ([user] if user else []), (user.get_username() if user else f"person {step.target_ref} (inactive)")
    if kind == EscalationStep.Target.TEAM:
        return team_members(step.team), f"team {step.team}"
    roles = [str(r) for r in step.roles or []]
    label = ", ".join(roles) if roles else "role holders"
    return role_holders(incident, roles), f"the incident's {label}"
