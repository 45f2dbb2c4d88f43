"""Use cases of problems: proposing them from recurring incidents (a periodic job), editing them,
the one transition function, and linking incidents.

A problem's clients are derived from its incidents' clients, recomputed on every link.
Problem changes go on the problem's timeline; a link also goes on the incident's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django_tasks import task

from opsdesk.core import clock, timeline
from opsdesk.core.errors import Conflict, field_error
from opsdesk.services.models import Service

from . import learning_queries as queries
from . import learning_rules as rules
from .models import Incident, Problem

TITLE_MAX = 200
TEXT_FIELDS = ("known_error", "workaround")


def thresholds() -> tuple[int, dt.timedelta]:
    """How many incidents within how long make a problem (settings may override the rules' defaults)."""
    count = int(getattr(settings, "OPSDESK_PROBLEM_MIN_INCIDENTS", rules.PROBLEM_MIN_INCIDENTS))
    days = int(getattr(settings, "OPSDESK_PROBLEM_WINDOW_DAYS", rules.PROBLEM_WINDOW_DAYS))
    return count, dt.timedelta(days=days)


def _sync_clients(problem: Problem) -> None:
    problem.clients.set(queries.linked_client_ids(problem))


def _attach(problem: Problem, incident: Incident, actor: Any, why: str) -> bool:
    """Link one incident not yet part of a problem and say so on both timelines; whether it was linked."""
    if not Incident.objects.filter(pk=incident.pk, problem__isnull=True).update(problem=problem):
        return False
    incident.problem = problem
    timeline.record(problem, "linked", actor=actor, summary=f"INC-{incident.pk} {incident.title} linked{why}",
                    changes={"incidents": [None, incident.pk]})
    timeline.record(incident, "problem", actor=actor, summary=f"Part of problem PRB-{problem.pk} {problem.title}",
                    changes={"problem": [None, problem.pk]})
    return True


# -- proposals -------------------------------------------------------------------------------------


def _proposed(service_id: int, signature: str, count: int, window: dt.timedelta) -> tuple[Problem, bool]:
    """The problem for a service and signature, created as proposed when there is none."""
    existing = Problem.objects.filter(service_id=service_id, signature=signature).first()
    if existing is not None:
        return existing, False
    service = Service.objects.get(pk=service_id)
    title = f"Recurring on {service.name}: {signature}"[:TITLE_MAX]
    try:
        with transaction.atomic():
            problem = Problem.objects.create(title=title, service=service, signature=signature)
    except IntegrityError:  # another worker proposed it first
        return Problem.objects.get(service_id=service_id, signature=signature), False
    timeline.record(
        problem, "created", actor="system",
        summary=f"Proposed: {count} incidents on {service.name} with this signature within {window.days} days",
        changes={"state": [None, problem.state]},
    )
    return problem, True


@transaction.atomic
def _apply(service_id: int, signature: str, incident_ids: list[int], since: dt.datetime, window: dt.timedelta) -> int:
    """Create (or find) the problem and link its unlinked incidents; how many were linked."""
    problem, _ = _proposed(service_id, signature, len(incident_ids), window)
    wanted = set(incident_ids)
    linked = []
    for incident in queries.unlinked_incidents(since, service_id, signature):
        why = " (recurring)" if incident.pk in wanted else " (a recurrence)"
        if _attach(problem, incident, "system", why):
            linked.append(incident.pk)
    if not linked:
        return 0
    _sync_clients(problem)
    if problem.state == Problem.State.RESOLVED:  # it came back: look at it again
        problem = _locked(problem)
        _transition(problem, Problem.State.OPEN, "system", f"recurred (INC-{', INC-'.join(map(str, linked))})")
    return len(linked)


def propose_problems(now: dt.datetime | None = None) -> int:
    """Propose a problem for each service and signature that recurred, and link its incidents
    (later recurrences of an existing problem too). Idempotent; how many incidents were linked."""
    now = now or clock.now()
    minimum, window = thresholds()
    since = now - window
    facts = queries.recurrences(since)
    linked = 0
    proposals = {(s, sig): ids for s, sig, ids in rules.propose_problems(facts, min_incidents=minimum, window=window)}
    for (service_id, signature), ids in proposals.items():
        linked += _apply(service_id, signature, ids, since, window)
    # Recurrences of problems that exist already, even below the threshold.
    pairs = {(sid, r.signature) for r in facts for sid in r.service_ids} - set(proposals)
    for service_id, signature in sorted(pairs):
        if Problem.objects.filter(service_id=service_id, signature=signature).exists():
            linked += _apply(service_id, signature, [], since, window)
    return linked


@task()
def propose_recurring_problems() -> int:
    """Periodic: propose problems for recurring incidents and link recurrences; how many incidents were linked."""
    return propose_problems(clock.now())


# -- edits -----------------------------------------------------------------------------------------


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem.pk)


def _guard(problem: Problem, to: str) -> None:
    if to == Problem.State.KNOWN_ERROR and not problem.known_error.strip():
        raise Conflict("A known error says what the error is: fill in known_error before marking it a known error.")


def _transition(problem: Problem, to: str, actor: Any, reason: str = "") -> None:
    """The one place that sets a problem's state."""
    before = problem.state
    rules.PROBLEM_MACHINE.apply(before, to)
    _guard(problem, to)
    problem.state = to
    problem.save()
    summary = f"State {before.replace('_', ' ')} → {to.replace('_', ' ')}" + (f": {reason}" if reason else "")
    timeline.record(problem, "transition", actor=actor, summary=summary, changes={"state": [before, to]})


@transaction.atomic
def transition_problem(problem: Problem, to: str, actor: Any, reason: str = "") -> Problem:
    """Move a problem to another state (proposed, open, known error, resolved, dismissed)."""
    problem = _locked(problem)
    _transition(problem, to, actor, reason.strip())
    return problem


def _fields(problem: Problem, data: dict[str, Any]) -> None:
    if "title" in data:
        title = " ".join(str(data["title"] or "").split())
        if not title:
            raise field_error("title", "cannot be empty")
        problem.title = title[:TITLE_MAX]
    for name in TEXT_FIELDS:
        if name in data:
            setattr(problem, name, (data[name] or "").strip())
    if "owner" in data:
        if data["owner"] is None:
            problem.owner = None
        else:
            owner = queries.staff_user(int(data["owner"]))
            if owner is None:
                raise field_error("owner", f"no active staff user has id {data['owner']}")
            problem.owner = owner


@transaction.atomic
def update_problem(problem: Problem, data: dict[str, Any], actor: Any) -> Problem:
    """Edit a problem's title, known error, workaround and owner, and move its state (through the machine)."""
    problem = _locked(problem)
    names = ["title", *TEXT_FIELDS, "owner_id"]
    before = timeline.snapshot(problem, names)
    _fields(problem, data)
    changes = timeline.diff(before, timeline.snapshot(problem, names))
    if changes:
        problem.save()
        listed = ", ".join(n.removesuffix("_id").replace("_", " ") for n in changes)
        timeline.record(problem, "updated", actor=actor, summary=f"Changed {listed}", changes=changes)
    if "state" in data:
        if data["state"] is None:
            raise field_error("state", f"one of {', '.join(rules.PROBLEM_MACHINE.states)}")
        if data["state"] != problem.state:
            _transition(problem, data["state"], actor)
    return problem


@transaction.atomic
def link_incident(problem: Problem, incident: Incident, actor: Any) -> Problem:
    """Make an incident part of the problem (again: nothing changes); one of another problem is refused."""
    problem = _locked(problem)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.problem_id == problem.pk:
        return problem
    if incident.problem_id is not None:
        raise Conflict(f"INC-{incident.pk} is already part of problem PRB-{incident.problem_id}.")
    _attach(problem, incident, actor, "")
    _sync_clients(problem)
    return problem
