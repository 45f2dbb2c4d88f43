"""Use cases of incidents: declare, edit, the one transition function, owner, notes, link a change.

Roles and handoffs are in roles.py, audience updates in updates.py, alert correlation in
correlation.py. `transition_incident` is the only code that assigns `Incident.state`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.accounts.queries import active_staff
from opsdesk.changes import services as change_services
from opsdesk.changes.models import ChangeRequest
from opsdesk.channels import services as channels
from opsdesk.core import clock, events, notify, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.errors import Conflict, field_error
from opsdesk.core.models import Activity
from opsdesk.services.models import Service
from opsdesk.services.readers import redactor_for
from opsdesk.sites.models import Site

from . import impact, rules
from .events import IncidentsChanged
from .models import Incident

EDITABLE = ("title", "summary", "severity")
# What each impacted client's endpoints are told (plain words; the title as the portal shows it).
CLIENT_WORDS = {"incident.opened": "We are investigating an incident that affects your services. Updates follow.",
                "incident.acknowledged": "Our team has taken the incident in hand.",
                "incident.resolved": "The incident is resolved."}
TRANSITION_EVENTS = {"acknowledged": "incident.acknowledged", "resolved": "incident.resolved"}


def announce(incident: Incident, event: str, *, client_text: str | None = None, summary: str | None = None) -> int:
    """Publish an incident event to the channels: responders in full, each impacted client in its
    own redacted words (`client_text`; "" tells only responders). How many deliveries."""
    words = CLIENT_WORDS.get(event, f"Status: {incident.get_state_display()}.") if client_text is None else client_text
    return channels.publish_object_event(
        event, ref=f"incident:{incident.pk}", title=f"INC-{incident.pk} {incident.title}", url=f"/incidents/{incident.pk}/",
        summary=incident.summary if summary is None else summary, severity=incident.get_severity_display(),
        status=incident.get_state_display(), client_ids=incident.clients.values_list("pk", flat=True),
        client_title=f"INC-{incident.pk} {incident.title}" if words else "", client_summary=words,
        redactor_for=redactor_for, payload={"state": incident.state, "severity": incident.severity})


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def staff_user(user_id: int | None, field: str) -> Any:
    """An active staff user by id, or InvalidInput naming the field."""
    user = active_staff(user_id)
    if user is None:
        raise field_error(field, f"no active staff user {user_id}")
    return user


def default_owner() -> Any:
    """Who owns an incident no one was named for: the first active incident commander, else an admin."""
    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(role="incident_commander").order_by("id").first()
        or users.filter(role="admin").order_by("id").first()
        or users.filter(is_superuser=True).order_by("id").first()
    )


def _resolve(model: type[Any], ids: list[int] | None, field: str) -> list[Any] | None:
    if ids is None:
        return None
    found = {o.pk: o for o in model.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise field_error(field, f"unknown id(s): {', '.join(map(str, missing))}")
    return [found[i] for i in dict.fromkeys(ids)]


@transaction.atomic
def declare_incident(data: dict[str, Any], *, actor: User) -> Incident:
    """Open an incident by hand (no alert needed): title, severity, services, sites, owner."""
    now = clock.now()
    owner = staff_user(data["owner"], "owner") if data.get("owner") else actor
    started = data.get("started_at") or now
    if started > now + dt.timedelta(minutes=5):
        raise field_error("started_at", "an incident cannot start in the future")
    incident = Incident.objects.create(
        title=data["title"], summary=data.get("summary") or "", severity=data.get("severity") or "sev3",
        owner=owner, started_at=started, detected_at=now, signature=data.get("title", "")[:255],
        next_update_due_at=rules.next_update_due(data.get("severity") or "sev3", now),
    )
    services = _resolve(Service, data.get("services"), "services") or []
    sites = _resolve(Site, data.get("sites"), "sites") or []
    incident.services.set(services)
    incident.sites.set(sites)
    impact.refresh(incident)
    timeline.record(incident, "created", actor=actor, summary=f"Declared {incident.get_severity_display()}: {incident.title}")
    events.publish(IncidentsChanged((incident.pk,)))
    announce(incident, "incident.opened")
    if owner != actor:
        notify.notify([owner], f"You own INC-{incident.pk}: {incident.title}", url=f"/incidents/{incident.pk}/")
    return incident


@transaction.atomic
def update_incident(incident: Incident, data: dict[str, Any], *, actor: User) -> Incident:
    """Edit title, summary, severity, services and sites (impact is recomputed)."""
    incident = _locked(incident)
    before = timeline.snapshot(incident, EDITABLE)
    for name in EDITABLE:
        if data.get(name) is not None:
            setattr(incident, name, data[name])
    if before.get("severity") != incident.severity and incident.state in rules.OPEN_STATES:
        incident.next_update_due_at = min(
            incident.next_update_due_at or clock.now(), rules.next_update_due(incident.severity, clock.now())
        )
    incident.save()
    changes = timeline.diff(before, timeline.snapshot(incident, EDITABLE))
    for name, model in (("services", Service), ("sites", Site)):
        objs = _resolve(model, data.get(name), name)
        if objs is not None:
            manager = getattr(incident, name)
            old = sorted(manager.values_list("pk", flat=True))
            manager.set(objs)
            if old != sorted(o.pk for o in objs):
                changes[name] = [old, sorted(o.pk for o in objs)]
    if changes:
        impact.refresh(incident)
        timeline.record(incident, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
        events.publish(IncidentsChanged((incident.pk,)))
        announce(incident, "incident.updated", client_text="", summary=f"Changed {', '.join(sorted(changes))}")
    return incident


@transaction.atomic
def transition_incident(incident: Incident, to: str, *, actor: Actor, reason: str = "") -> Incident:
    """Move the incident to another state (409 with the allowed states if not possible)."""
    incident = _locked(incident)
    if to in rules.REASON_REQUIRED and not reason.strip():
        raise field_error("reason", f"say why the incident is {to} (e.g. what fixed it)")
    before = incident.state
    incident.state = rules.apply(before, to)
    now = clock.now()
    stamped = {name: getattr(incident, name) for name in ("acknowledged_at", "mitigated_at", "resolved_at", "closed_at")}
    for name in rules.stamps_for(to, stamped):
        setattr(incident, name, now)
    if to in rules.OPEN_STATES:
        if before not in rules.OPEN_STATES:  # reopened
            incident.resolved_at = incident.closed_at = None
            incident.next_update_due_at = rules.next_update_due(incident.severity, now)
    else:
        incident.next_update_due_at = None
    incident.save()
    summary = f"{before} → {to}" + (f": {reason}" if reason else "")
    timeline.record(incident, "transition", actor=actor, summary=summary, changes={"state": [before, to]},
                    visibility=Activity.Visibility.CLIENT)
    events.publish(IncidentsChanged((incident.pk,)))
    announce(incident, TRANSITION_EVENTS.get(to, "incident.updated"), summary=summary)
    return incident


@transaction.atomic
def set_owner(incident: Incident, user_id: int, *, actor: User, note: str = "") -> Incident:
    """Hand the incident to another owner (one owner, always); the new owner is notified."""
    incident = _locked(incident)
    owner = staff_user(user_id, "owner")
    if owner.pk == incident.owner_id:
        return incident
    before = incident.owner
    incident.owner = owner
    incident.save(update_fields=["owner", "updated_at"])
    timeline.record(incident, "owner", actor=actor, summary=f"Owner {before.get_username()} → {owner.get_username()}"
                    + (f": {note}" if note else ""), changes={"owner": [before.pk, owner.pk]})
    notify.notify([owner], f"You now own INC-{incident.pk}: {incident.title}", body=note, url=f"/incidents/{incident.pk}/")
    return incident


@transaction.atomic
def add_note(incident: Incident, text: str, *, actor: User) -> Activity:
    """A responder's note on the timeline (internal)."""
    if not text.strip():
        raise field_error("text", "write something")
    return timeline.record(incident, "note", actor=actor, summary=text.strip())


@transaction.atomic
def link_change(incident: Incident, change: ChangeRequest, *, actor: User) -> Incident:
    """Link the incident to the change that caused it (feeds the change's review and failure rate)."""
    incident = _locked(incident)
    if incident.change_id == change.pk:
        return incident
    if incident.change_id is not None:
        raise Conflict(f"INC-{incident.pk} is already linked to change {incident.change_id}; unlink it first.")
    change_services.link_incident(change, actor=actor, incident=f"INC-{incident.pk} {incident.title}")
    incident.change = change
    incident.save(update_fields=["change", "updated_at"])
    timeline.record(incident, "linked_change", actor=actor, summary=f"Caused by change CHG-{change.pk}: {change.title}",
                    changes={"change": [None, change.pk]})
    return incident
