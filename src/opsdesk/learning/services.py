"""Use cases of the learning loop, each one transaction.

Postmortems and their action items: start (drafted from the timeline), edit, the one transition
function of each, and the notice of overdue actions. Every change is recorded on the incident's
timeline, where the postmortem's story belongs; `queries.postmortem_activity` reads it back.

Problems: proposing them from recurring incidents, editing them, the one transition function, and
linking incidents. A problem's clients are derived from its incidents' clients, recomputed on every
link. Problem changes go on the problem's timeline; a link also goes on the incident's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, notify, timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.errors import Conflict, field_error
from opsdesk.incidents.models import Incident
from opsdesk.services.models import Service

from . import queries, rules
from .models import ActionItem, Postmortem, Problem

# Who the periodic jobs act as on the timeline (named "system", as before the move).
SYSTEM = SystemActor("system")

ACTION_TITLE_MAX = 300
PROBLEM_TITLE_MAX = 200
PROBLEM_TEXT = ("known_error", "workaround")


def url_of(postmortem: Postmortem | int) -> str:
    """The postmortem's page (the incidents area is mounted under /incidents/)."""
    pk = postmortem if isinstance(postmortem, int) else postmortem.pk
    return f"/incidents/postmortems/{pk}/"


def _owner(user_id: Any, field: str = "owner") -> User:
    user_id = getattr(user_id, "pk", user_id)  # a user, or a user's id
    if user_id is None:
        raise field_error(field, "is required")
    user = queries.staff_user(int(user_id)) if str(user_id).isdigit() else None
    if user is None:
        raise field_error(field, f"no active staff user has id {user_id}")
    return user


def _record(pm: Postmortem, verb: str, actor: Actor, summary: str, changes: dict[str, Any] | None = None) -> None:
    """One entry on the incident's timeline, naming the postmortem."""
    timeline.record(pm.incident, verb, actor=actor, summary=summary, changes={"postmortem": pm.pk, **(changes or {})})


def _names(changes: dict[str, Any]) -> str:
    return ", ".join(name.removesuffix("_id").replace("_", " ") for name in changes)


def _label(user: User) -> str:
    return user.get_full_name() or user.get_username()


# -- postmortems -----------------------------------------------------------------------------------


@transaction.atomic
def start_postmortem(incident: Incident, actor: User, *, owner: int | None = None) -> tuple[Postmortem, bool]:
    """The incident's postmortem, drafted from its timeline when first started; (postmortem, created).

    Only a resolved or closed incident is reviewed. Starting it again returns the same postmortem.
    The owner defaults to whoever starts it.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing, False
    if incident.state not in rules.REVIEWABLE_INCIDENT_STATES:
        raise Conflict(
            f"A postmortem reviews a finished incident; INC-{incident.pk} is {incident.state}. "
            "Resolve it first."
        )
    person = _owner(owner) if owner is not None else actor
    draft = rules.draft_postmortem(queries.incident_facts(incident))
    pm = Postmortem.objects.create(incident=incident, owner=person, **draft)
    _record(pm, "postmortem", actor, f"Postmortem started, owned by {_label(person)}; drafted from the timeline")
    return pm, True


def _locked_postmortem(pm: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update().select_related("incident").get(pk=pm.pk)


@transaction.atomic
def update_postmortem(pm: Postmortem, data: dict[str, Any], actor: User) -> Postmortem:
    """Edit the sections or the owner of a draft or in-review postmortem."""
    pm = _locked_postmortem(pm)
    if pm.state not in rules.EDITABLE_POSTMORTEM_STATES:
        raise Conflict("A published postmortem is not edited in place; move it back to draft first.")
    before = timeline.snapshot(pm, [*rules.SECTIONS, "owner_id"])
    for name in rules.SECTIONS:
        if name in data:
            setattr(pm, name, (data[name] or "").strip())
    if "owner" in data:
        pm.owner = _owner(data["owner"])
    changes = timeline.diff(before, timeline.snapshot(pm, [*rules.SECTIONS, "owner_id"]))
    if not changes:
        return pm
    pm.save()
    _record(pm, "postmortem", actor, f"Postmortem edited: {_names(changes)}", changes)
    return pm


@transaction.atomic
def transition_postmortem(pm: Postmortem, to: str, actor: User, reason: str = "") -> Postmortem:
    """Move a postmortem through draft → in review → published (published may go back to draft)."""
    pm = _locked_postmortem(pm)
    before = pm.state
    rules.POSTMORTEM_MACHINE.apply(before, to)
    if to == Postmortem.State.PUBLISHED:
        problems = rules.publish_problems({name: getattr(pm, name) for name in rules.SECTIONS})
        if problems:
            raise Conflict(f"Before publishing, complete the postmortem: {'; '.join(problems)}.")
    pm.state = to
    pm.save(update_fields=["state", "updated_at"])
    summary = f"Postmortem {before.replace('_', ' ')} → {to.replace('_', ' ')}"
    _record(pm, "postmortem_transition", actor, summary + (f": {reason.strip()}" if reason.strip() else ""),
            {"state": [before, to]})
    if to == Postmortem.State.IN_REVIEW and pm.owner_id != actor.pk:
        notify.notify([pm.owner], f"Postmortem of INC-{pm.incident_id} is in review", pm.incident.title, url_of(pm))
    return pm


# -- action items ----------------------------------------------------------------------------------


def _action_title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise field_error("title", "say what is to be done")
    if len(text) > ACTION_TITLE_MAX:
        raise field_error("title", f"at most {ACTION_TITLE_MAX} characters")
    return text


def _due(value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise field_error("due_on", "the day it is due, e.g. 2025-07-01")
    return value


@transaction.atomic
def add_action(pm: Postmortem, title: Any, owner: Any, due_on: Any, actor: User) -> ActionItem:
    """Add an action item to a postmortem (in any state: actions are tracked after publication)."""
    pm = _locked_postmortem(pm)
    person = _owner(owner)
    action = ActionItem.objects.create(postmortem=pm, title=_action_title(title), owner=person, due_on=_due(due_on))
    _record(pm, "action", actor, f"Action added: {action.title} ({_label(person)}, due {action.due_on:%Y-%m-%d})",
            {"action": action.pk})
    if person.pk != actor.pk:
        notify.notify([person], f"Action for INC-{pm.incident_id}: {action.title}",
                      f"Due {action.due_on:%Y-%m-%d}. From the postmortem of {pm.incident.title}.", url_of(pm))
    return action


def _transition_action(action: ActionItem, to: str) -> None:
    """The one place that sets an action's state; done stamps done_at, leaving done clears it."""
    rules.ACTION_MACHINE.apply(action.state, to)
    action.state = to
    action.done_at = clock.now() if to == ActionItem.State.DONE else None


@transaction.atomic
def update_action(action: ActionItem, data: dict[str, Any], actor: User) -> ActionItem:
    """Change an action's title, owner, due day or state (tracked to done)."""
    action = ActionItem.objects.select_for_update().select_related("postmortem__incident").get(pk=action.pk)
    fields = ["title", "owner_id", "due_on", "state", "done_at"]
    before = timeline.snapshot(action, fields)
    if "title" in data:
        action.title = _action_title(data["title"])
    if "owner" in data:
        action.owner = _owner(data["owner"])
    if "due_on" in data:
        action.due_on = _due(data["due_on"])
    if "state" in data:
        if data["state"] is None:
            raise field_error("state", f"one of {', '.join(rules.ACTION_MACHINE.states)}")
        if data["state"] != action.state:
            _transition_action(action, data["state"])
    changes = timeline.diff(before, timeline.snapshot(action, fields))
    if not changes:
        return action
    if "due_on" in changes:
        action.overdue_notified_on = None  # a new due day earns a new notice when it passes
    action.save()
    what = f"{action.title} is now {action.get_state_display().lower()}" if "state" in changes else (
        f"{action.title}: changed {_names(changes)}"
    )
    _record(action.postmortem, "action", actor, f"Action {what}", {"action": action.pk, **changes})
    if "owner_id" in changes and action.owner_id != actor.pk:
        notify.notify([action.owner], f"Action for INC-{action.postmortem.incident_id}: {action.title}",
                      f"Due {action.due_on:%Y-%m-%d}.", url_of(action.postmortem_id))
    return action


# -- overdue notices -------------------------------------------------------------------------------


def reminder_days() -> int:
    """How often the owner of an overdue action is reminded, in days (settings may override)."""
    return int(getattr(settings, "OPSDESK_ACTION_REMINDER_DAYS", rules.OVERDUE_REMINDER_DAYS))


@transaction.atomic
def notify_overdue(action_id: int, today: dt.date, every_days: int) -> bool:
    """Tell the owner of one overdue action, at most once per `every_days` days; whether it was sent."""
    action = (
        ActionItem.objects.select_for_update().select_related("owner", "postmortem__incident")
        .filter(pk=action_id).first()
    )
    if action is None or not rules.needs_overdue_notice(action, action.overdue_notified_on, today, every_days):
        return False
    first = action.overdue_notified_on is None
    late = (today - action.due_on).days
    notify.notify(
        [action.owner], f"Overdue action: {action.title}",
        f"Due {action.due_on:%Y-%m-%d} ({late} day{'s' if late != 1 else ''} ago), from the postmortem of "
        f"INC-{action.postmortem.incident_id} {action.postmortem.incident.title}.",
        url_of(action.postmortem_id),
    )
    action.overdue_notified_on = today
    action.save(update_fields=["overdue_notified_on"])
    if first:  # the first notice is news on the timeline; the reminders are not
        _record(action.postmortem, "action_overdue", SYSTEM,
                f"Action overdue: {action.title} (due {action.due_on:%Y-%m-%d}); {_label(action.owner)} notified",
                {"action": action.pk})
    return True


def notify_overdue_actions(today: dt.date) -> int:
    """Tell the owners of open actions past their due day, each at most once per reminder interval;
    how many were told (each notice is its own transaction)."""
    every = reminder_days()
    return sum(notify_overdue(pk, today, every) for pk in queries.overdue_action_ids(today, every))


# -- problems ---------------------------------------------------------------------------------------


def thresholds() -> tuple[int, dt.timedelta]:
    """How many incidents within how long make a problem (settings may override the rules' defaults)."""
    count = int(getattr(settings, "OPSDESK_PROBLEM_MIN_INCIDENTS", rules.PROBLEM_MIN_INCIDENTS))
    days = int(getattr(settings, "OPSDESK_PROBLEM_WINDOW_DAYS", rules.PROBLEM_WINDOW_DAYS))
    return count, dt.timedelta(days=days)


def _sync_clients(problem: Problem) -> None:
    problem.clients.set(queries.linked_client_ids(problem))


def _attach(problem: Problem, incident: Incident, actor: Actor, why: str) -> bool:
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
    title = f"Recurring on {service.name}: {signature}"[:PROBLEM_TITLE_MAX]
    try:
        with transaction.atomic():
            problem = Problem.objects.create(title=title, service=service, signature=signature)
    except IntegrityError:  # another worker proposed it first
        return Problem.objects.get(service_id=service_id, signature=signature), False
    timeline.record(
        problem, "created", actor=SYSTEM,
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
        if _attach(problem, incident, SYSTEM, why):
            linked.append(incident.pk)
    if not linked:
        return 0
    _sync_clients(problem)
    if problem.state == Problem.State.RESOLVED:  # it came back: look at it again
        problem = _locked_problem(problem)
        _transition_problem(problem, Problem.State.OPEN, SYSTEM, f"recurred (INC-{', INC-'.join(map(str, linked))})")
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


# -- edits -----------------------------------------------------------------------------------------


def _locked_problem(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem.pk)


def _problem_guard(problem: Problem, to: str) -> None:
    if to == Problem.State.KNOWN_ERROR and not problem.known_error.strip():
        raise Conflict("A known error says what the error is: fill in known_error before marking it a known error.")


def _transition_problem(problem: Problem, to: str, actor: Actor, reason: str = "") -> None:
    """The one place that sets a problem's state."""
    before = problem.state
    rules.PROBLEM_MACHINE.apply(before, to)
    _problem_guard(problem, to)
    problem.state = to
    problem.save()
    summary = f"State {before.replace('_', ' ')} → {to.replace('_', ' ')}" + (f": {reason}" if reason else "")
    timeline.record(problem, "transition", actor=actor, summary=summary, changes={"state": [before, to]})


@transaction.atomic
def transition_problem(problem: Problem, to: str, actor: Actor, reason: str = "") -> Problem:
    """Move a problem to another state (proposed, open, known error, resolved, dismissed)."""
    problem = _locked_problem(problem)
    _transition_problem(problem, to, actor, reason.strip())
    return problem


def _problem_fields(problem: Problem, data: dict[str, Any]) -> None:
    if "title" in data:
        title = " ".join(str(data["title"] or "").split())
        if not title:
            raise field_error("title", "cannot be empty")
        problem.title = title[:PROBLEM_TITLE_MAX]
    for name in PROBLEM_TEXT:
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
def update_problem(problem: Problem, data: dict[str, Any], actor: User) -> Problem:
    """Edit a problem's title, known error, workaround and owner, and move its state (through the machine)."""
    problem = _locked_problem(problem)
    names = ["title", *PROBLEM_TEXT, "owner_id"]
    before = timeline.snapshot(problem, names)
    _problem_fields(problem, data)
    changes = timeline.diff(before, timeline.snapshot(problem, names))
    if changes:
        problem.save()
        listed = ", ".join(n.removesuffix("_id").replace("_", " ") for n in changes)
        timeline.record(problem, "updated", actor=actor, summary=f"Changed {listed}", changes=changes)
    if "state" in data:
        if data["state"] is None:
            raise field_error("state", f"one of {', '.join(rules.PROBLEM_MACHINE.states)}")
        if data["state"] != problem.state:
            _transition_problem(problem, data["state"], actor)
    return problem


@transaction.atomic
def link_incident(problem: Problem, incident: Incident, actor: User) -> Problem:
    """Make an incident part of the problem (again: nothing changes); one of another problem is refused."""
    problem = _locked_problem(problem)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.problem_id == problem.pk:
        return problem
    if incident.problem_id is not None:
        raise Conflict(f"INC-{incident.pk} is already part of problem PRB-{incident.problem_id}.")
    _attach(problem, incident, actor, "")
    _sync_clients(problem)
    return problem
