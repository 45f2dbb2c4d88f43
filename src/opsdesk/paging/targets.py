"""Who a step pages at an instant: the on-call of a schedule, a person, a team, the role holders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from opsdesk.incidents.models import Incident, IncidentRole
from opsdesk.oncall import queries as oncall_queries
from opsdesk.oncall.models import Schedule

from .models import EscalationStep


def on_call_of_schedule(schedule: Schedule | None, at: dt.datetime) -> tuple[list[Any], str]:
    """The people on call of `schedule` at `at` and the schedule's name (the one seam to oncall)."""
    if schedule is None:
        return [], "a schedule (none set)"
    return list(oncall_queries.on_call(schedule, at)), str(schedule.name)


def team_members(team: str, at: dt.datetime) -> tuple[list[Any], str]:
    """A team is who is on call at `at` in the schedules of that team; a team without schedules is
    the active members of the Django auth Group of that name. Returns the people and how they are named."""
    schedules = list(oncall_queries.lookup_queryset().filter(team=team).order_by("name", "id"))
    if schedules:
        people = {p.pk: p for _, who in oncall_queries.on_call_many(schedules, at) for p in who if p.is_active}
        names = ", ".join(s.name for s in schedules)
        return list(people.values()), f"team {team} (on call in {names})"
    users = get_user_model().objects.filter(groups__name=team, is_active=True).order_by("id")
    return list(users.distinct()), f"team {team}"


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
        people, name = on_call_of_schedule(step.schedule, at)
        return people, f"the on-call of {name}"
    if kind == EscalationStep.Target.PERSON:
        user = step.person
        if user is None or not user.is_active:
            return [], f"{user.get_username() if user else 'a person'} (inactive)"
        return [user], user.get_username()
    if kind == EscalationStep.Target.TEAM:
        return team_members(step.team, at)
    roles = [str(r) for r in step.roles or []]
    label = ", ".join(roles) if roles else "role holders"
    return role_holders(incident, roles), f"the incident's {label}"
