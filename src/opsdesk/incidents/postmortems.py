"""Use cases of postmortems and their action items: start (drafted from the timeline), edit, the one
transition function of each, and the daily notice of overdue actions.

Every change is recorded on the incident's timeline, where the postmortem's story belongs;
`learning_queries.postmortem_activity` reads it back. Each use case is one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from opsdesk.core import clock, notify, timeline
from opsdesk.core.errors import Conflict, field_error

from . import learning_queries as queries
from . import learning_rules as rules
from .models import ActionItem, Incident, Postmortem

TITLE_MAX = 300


def url_of(postmortem: Postmortem | int) -> str:
    """The postmortem's page (the incidents area is mounted under /incidents/)."""
    pk = postmortem if isinstance(postmortem, int) else postmortem.pk
    return f"/incidents/postmortems/{pk}/"


def _owner(user_id: Any, field: str = "owner") -> Any:
    user_id = getattr(user_id, "pk", user_id)  # a user, or a user's id
    if user_id is None:
        raise field_error(field, "is required")
    user = queries.staff_user(int(user_id)) if str(user_id).isdigit() else None
    if user is None:
        raise field_error(field, f"no active staff user has id {user_id}")
    return user


def _record(pm: Postmortem, verb: str, actor: Any, summary: str, changes: dict[str, Any] | None = None) -> None:
    """One entry on the incident's timeline, naming the postmortem."""
    timeline.record(pm.incident, verb, actor=actor, summary=summary, changes={"postmortem": pm.pk, **(changes or {})})


def _names(changes: dict[str, Any]) -> str:
    return ", ".join(name.removesuffix("_id").replace("_", " ") for name in changes)


def _label(user: Any) -> str:
    return user.get_full_name() or user.get_username()


# -- postmortems -----------------------------------------------------------------------------------


@transaction.atomic
def start_postmortem(incident: Incident, actor: Any, *, owner: int | None = None) -> tuple[Postmortem, bool]:
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


def _locked(pm: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update().select_related("incident").get(pk=pm.pk)


@transaction.atomic
def update_postmortem(pm: Postmortem, data: dict[str, Any], actor: Any) -> Postmortem:
    """Edit the sections or the owner of a draft or in-review postmortem."""
    pm = _locked(pm)
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
def transition_postmortem(pm: Postmortem, to: str, actor: Any, reason: str = "") -> Postmortem:
    """Move a postmortem through draft → in review → published (published may go back to draft)."""
    pm = _locked(pm)
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
    if to == Postmortem.State.IN_REVIEW and pm.owner_id != getattr(actor, "pk", None):
        notify.notify([pm.owner], f"Postmortem of INC-{pm.incident_id} is in review", pm.incident.title, url_of(pm))
    return pm


# -- action items ----------------------------------------------------------------------------------


def _title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise field_error("title", "say what is to be done")
    if len(text) > TITLE_MAX:
        raise field_error("title", f"at most {TITLE_MAX} characters")
    return text


def _due(value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise field_error("due_on", "the day it is due, e.g. 2025-07-01")
    return value


@transaction.atomic
def add_action(pm: Postmortem, title: Any, owner: Any, due_on: Any, actor: Any) -> ActionItem:
    """Add an action item to a postmortem (in any state: actions are tracked after publication)."""
    pm = _locked(pm)
    person = _owner(owner)
    action = ActionItem.objects.create(postmortem=pm, title=_title(title), owner=person, due_on=_due(due_on))
    _record(pm, "action", actor, f"Action added: {action.title} ({_label(person)}, due {action.due_on:%Y-%m-%d})",
            {"action": action.pk})
    if person.pk != getattr(actor, "pk", None):
        notify.notify([person], f"Action for INC-{pm.incident_id}: {action.title}",
                      f"Due {action.due_on:%Y-%m-%d}. From the postmortem of {pm.incident.title}.", url_of(pm))
    return action


def _transition_action(action: ActionItem, to: str) -> None:
    """The one place that sets an action's state; done stamps done_at, leaving done clears it."""
    rules.ACTION_MACHINE.apply(action.state, to)
    action.state = to
    action.done_at = clock.now() if to == ActionItem.State.DONE else None


@transaction.atomic
def update_action(action: ActionItem, data: dict[str, Any], actor: Any) -> ActionItem:
    """Change an action's title, owner, due day or state (tracked to done)."""
    action = ActionItem.objects.select_for_update().select_related("postmortem__incident").get(pk=action.pk)
    fields = ["title", "owner_id", "due_on", "state", "done_at"]
    before = timeline.snapshot(action, fields)
    if "title" in data:
        action.title = _title(data["title"])
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
    if "owner_id" in changes and action.owner_id != getattr(actor, "pk", None):
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
        _record(action.postmortem, "action_overdue", "system",
                f"Action overdue: {action.title} (due {action.due_on:%Y-%m-%d}); {_label(action.owner)} notified",
                {"action": action.pk})
    return True


@task()
def notify_overdue_actions() -> int:
    """Periodic: tell owners of open actions past their due day (UTC), once a day at most; how many were told."""
    today, every = clock.today_utc(), reminder_days()
    return sum(notify_overdue(pk, today, every) for pk in queries.overdue_action_ids(today, every))
