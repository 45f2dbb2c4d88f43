"""Reads of postmortems, action items and problems, scoped to the viewer, and the facts the
learning rules need.

Client users read published postmortems (and their action items) of incidents that affected
their organisation, and problems staff have accepted (open, known error, resolved); nothing else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When

from opsdesk.accounts.models import User
from opsdesk.core import timeline
from opsdesk.core.errors import field_error
from opsdesk.core.models import Activity
from opsdesk.core.tenancy import filters_hidden, get_scoped, scope
from opsdesk.incidents.models import Incident
from opsdesk.services.models import Service
from opsdesk.tenancy.models import Client

from . import rules
from .models import ActionItem, Postmortem, Problem

# Verbs the learning services write on an incident's timeline (a postmortem's own history).
POSTMORTEM_VERBS = ("postmortem", "postmortem_transition", "action", "action_overdue")


def _client(user: Any) -> bool:
    return bool(getattr(user, "is_client_user", False))


# -- postmortems -----------------------------------------------------------------------------------


def _postmortems(user: Any) -> QuerySet[Postmortem]:
    qs = scope(Postmortem.objects.all(), user)
    if _client(user):
        qs = qs.filter(state=Postmortem.State.PUBLISHED)
    return qs.select_related("incident", "owner").prefetch_related(
        Prefetch("actions", queryset=ActionItem.objects.select_related("owner").order_by("due_on", "id"))
    )


def list_postmortems(
    user: Any,
    *,
    incident: int | None = None,
    state: str | None = None,
    owner: int | None = None,
    q: str | None = None,
) -> QuerySet[Postmortem]:
    """Postmortems the user may read, newest first, filtered by incident, state, owner and words
    of the incident's title or the summary."""
    qs = _postmortems(user)
    if incident:
        qs = qs.filter(incident_id=incident)
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",")])
    if owner:
        qs = qs.filter(owner_id=owner)
    if q:
        qs = qs.filter(Q(incident__title__icontains=q) | Q(summary__icontains=q))
    return qs.order_by("-created_at", "-id")


def _late(today: dt.date, prefix: str = "") -> Q:
    """Open (or in progress) and past its due day; `prefix` reaches the action from another model."""
    return Q(**{f"{prefix}state__in": sorted(rules.OPEN_ACTION_STATES), f"{prefix}due_on__lt": today})


def list_postmortem_rows(
    user: Any, *, today: dt.date, state: str | None = None, q: str | None = None
) -> QuerySet[Postmortem]:
    """The postmortems list page: list_postmortems with its action counts (open, done, overdue)
    counted by the database instead of the action items themselves."""
    counted = {
        "open_actions": Q(actions__state__in=sorted(rules.OPEN_ACTION_STATES)),
        "done_actions": Q(actions__state=ActionItem.State.DONE),
        "overdue_actions": _late(today, "actions__"),
    }
    return list_postmortems(user, state=state, q=q).prefetch_related(None).annotate(
        **{name: Count("actions", filter=when, distinct=True) for name, when in counted.items()}
    )


def get_postmortem(user: Any, postmortem_id: int) -> Postmortem:
    """One postmortem the user may read, or NotFound."""
    return get_scoped(_postmortems(user), user, pk=postmortem_id)


def postmortem_activity(postmortem: Postmortem, user: Any) -> QuerySet[Activity]:
    """The postmortem's history: the learning entries of its incident's timeline, oldest first."""
    entries = timeline.for_object(postmortem.incident, client_visible_only=_client(user))
    return entries.filter(verb__in=POSTMORTEM_VERBS)


# -- action items ----------------------------------------------------------------------------------


def _actions(user: Any) -> QuerySet[ActionItem]:
    qs = scope(ActionItem.objects.all(), user)
    if _client(user):
        qs = qs.filter(postmortem__state=Postmortem.State.PUBLISHED)
    return qs.select_related("owner", "postmortem")


def list_actions(
    user: Any,
    *,
    today: dt.date,
    overdue: bool | None = None,
    state: str | None = None,
    owner: int | None = None,
    postmortem: int | None = None,
    overdue_first: bool = False,
) -> QuerySet[ActionItem]:
    """Action items the user may read, soonest due first; `overdue` keeps (or drops) those past due.
    `overdue_first` (the actions page) puts the overdue ones first, marked `is_overdue`, with
    each action's incident at hand."""
    qs = _actions(user)
    late = _late(today)
    if overdue is True:
        qs = qs.filter(late)
    elif overdue is False:
        qs = qs.exclude(late)
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",")])
    if owner:
        qs = qs.filter(owner_id=owner)
    if postmortem:
        qs = qs.filter(postmortem_id=postmortem)
    if overdue_first:
        flag = Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField())
        return qs.select_related("postmortem__incident").annotate(is_overdue=flag).order_by("-is_overdue", "due_on", "id")
    return qs.order_by("due_on", "id")


def get_action(user: Any, action_id: int) -> ActionItem:
    """One action item the user may read, or NotFound."""
    return get_scoped(_actions(user), user, pk=action_id)


def overdue_action_ids(today: dt.date, every_days: int, limit: int = 5000) -> list[int]:
    """Open actions past due whose owner has not been told within `every_days` days."""
    told_before = today - dt.timedelta(days=max(every_days, 1) - 1)
    return list(
        ActionItem.objects.filter(state__in=sorted(rules.OPEN_ACTION_STATES), due_on__lt=today)
        .filter(Q(overdue_notified_on__isnull=True) | Q(overdue_notified_on__lt=told_before))
        .order_by("due_on", "id").values_list("id", flat=True)[:limit]
    )


# -- problems --------------------------------------------------------------------------------------


def _problems(user: Any) -> QuerySet[Problem]:
    qs = scope(Problem.objects.all(), user)
    if _client(user):
        qs = qs.filter(state__in=sorted(rules.CLIENT_VISIBLE_PROBLEM_STATES))
    # Linked incidents and clients as this user may see them: a client sees only its own.
    incidents = scope(Incident.objects.all(), user).order_by("-detected_at", "-id")
    clients = Client.objects.order_by("name")
    if _client(user):
        clients = clients.filter(pk=user.client_id)
    return qs.select_related("service", "owner").prefetch_related(
        Prefetch("incidents", queryset=incidents), Prefetch("clients", queryset=clients)
    )


def list_problems(
    user: Any, *, state: str | None = None, service: int | None = None, q: str | None = None
) -> QuerySet[Problem]:
    """Problems the user may read, newest first, filtered by state, service and words of the title."""
    qs = _problems(user)
    if filters_hidden(user, service=(Service.objects.all(), service)):
        return qs.none()
    if state:
        qs = qs.filter(state__in=[s.strip() for s in state.split(",")])
    if service:
        qs = qs.filter(service_id=service)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(signature__icontains=q))
    return qs.order_by("-created_at", "-id")


def get_problem(user: Any, problem_id: int) -> Problem:
    """One problem the user may read, or NotFound."""
    return get_scoped(_problems(user), user, pk=problem_id)


def problem_services(user: Any) -> QuerySet[Service]:
    """Services that have problems, as the problems list's filter offers them."""
    return scope(Service.objects.filter(problems__isnull=False), user).distinct().order_by("name")


def recurrences(since: dt.datetime) -> list[rules.Recurrence]:
    """Incidents detected since `since` with a signature and services, as problem proposal input."""
    rows = (
        Incident.objects.filter(detected_at__gte=since).exclude(signature="")
        .values_list("pk", "signature", "detected_at", "services__id")
    )
    by_incident: dict[int, tuple[str, dt.datetime, list[int]]] = {}
    for pk, signature, detected_at, service_id in rows:
        entry = by_incident.setdefault(pk, (signature, detected_at, []))
        if service_id is not None:
            entry[2].append(service_id)
    return [
        rules.Recurrence(pk, tuple(sorted(services)), signature, detected_at)
        for pk, (signature, detected_at, services) in sorted(by_incident.items())
        if services
    ]


def unlinked_incidents(since: dt.datetime, service_id: int, signature: str) -> QuerySet[Incident]:
    """Incidents since `since` on the service with the signature, not yet part of a problem."""
    return Incident.objects.filter(
        detected_at__gte=since, services__id=service_id, signature=signature, problem__isnull=True
    ).distinct().order_by("detected_at", "id")


def linked_client_ids(problem: Problem) -> list[int]:
    """The clients of the problem's incidents (Problem.clients is derived from them)."""
    through = Incident.clients.through.objects.filter(incident__problem=problem)
    return sorted(set(through.values_list("client_id", flat=True)))


# -- facts and lookups for the services ------------------------------------------------------------


def get_incident(user: Any, incident_id: int) -> Incident:
    """One incident the user may see, or NotFound."""
    return get_scoped(Incident.objects.all(), user, pk=incident_id)


def incident_in_body(user: Any, incident_id: int, field: str = "incident") -> Incident:
    """The incident a request body names, if the user may see it; else InvalidInput on that field."""
    incident = scope(Incident.objects.all(), user).filter(pk=incident_id).first()
    if incident is None:
        raise field_error(field, f"no incident with id {incident_id}")
    return incident


def staff_users() -> QuerySet[User]:
    """Active staff users: who may own postmortems, actions and problems (never client users)."""
    return User.objects.filter(is_active=True).exclude(role="client").order_by("username")


def staff_user(user_id: int) -> User | None:
    """One active staff user, or None."""
    return staff_users().filter(pk=user_id).first()


def incident_facts(incident: Incident) -> rules.IncidentFacts:
    """The incident as plain facts for the postmortem draft."""
    entries = tuple(
        rules.Entry(a.at, a.actor_label, a.verb, a.summary, a.changes)
        for a in timeline.for_object(incident).only("at", "actor_label", "verb", "summary", "changes")
    )
    change = incident.change
    return rules.IncidentFacts(
        title=incident.title,
        severity=incident.severity,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        services=tuple(incident.services.order_by("name").values_list("name", flat=True)),
        impact=incident.impact if isinstance(incident.impact, dict) else {},
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        timeline=entries,
        change=f"CHG-{change.pk} {change.title}" if change is not None else "",
        alert_count=incident.alert_links.count(),
        update_overdue=incident.update_reminded_at is not None,
    )
