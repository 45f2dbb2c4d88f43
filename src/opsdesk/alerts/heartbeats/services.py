"""Use cases of heartbeats (a dead-man's switch): add, change and remove them, take a ping, and the
periodic check that raises an alert when a ping is overdue.

A missed heartbeat enters the alert pipeline as any sender's alert does: a trigger signal stored
as an accepted delivery (RawEvent) of the heartbeat's own integration, with the key
`heartbeat:<id>` (so repeats dedup); alert processing then places it (the heartbeat's service and
site first, then the integration's mapping rules on its labels, then the integration's defaults)
and correlation opens or attaches an incident. The first ping after that sends the resolve.

Every state change is a conditional UPDATE (`WHERE state = <what was read>`, and for the check
`AND last_ping_at = <what was read>`), written in the same transaction as its event: with
several workers, or a ping racing the check, exactly one side wins and the event is sent once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson
from django.db import transaction
from django.db.models import F

from opsdesk.core import clock, crud, timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.errors import Conflict, field_error

from .. import services as alert_services
from ..models import Integration, RawEvent
from ..signals import Signal
from . import rules
from .models import Heartbeat

ACTOR = SystemActor("opsdesk heartbeats")  # who moves a heartbeat: its pings and the check
SOURCE = "opsdesk heartbeats"
FIELDS = ("name", "slug", "interval_minutes", "grace_minutes", "severity", "labels")
MAX_LABELS = 50


def alert_key(heartbeat: Heartbeat) -> str:
    """The alert key of one heartbeat: stable, so a repeated trigger dedups."""
    return f"heartbeat:{heartbeat.pk}"


def _fields(integration: Integration, data: dict[str, Any]) -> dict[str, Any]:
    """The model fields from `data` (service and site checked against the integration's client)."""
    problems = rules.limits_problem(data.get("interval_minutes"), data.get("grace_minutes"))
    for name, message in problems.items():
        raise field_error(name, message)
    labels = data.get("labels")
    if labels is not None and (not isinstance(labels, dict) or len(labels) > MAX_LABELS or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 100 and len(v) <= 300 for k, v in labels.items())):
        raise field_error("labels", f"at most {MAX_LABELS} labels, names of 1-100 and values of up to 300 characters")
    fields = {k: data[k] for k in FIELDS if data.get(k) is not None}
    if "service" in data:
        fields["service"] = alert_services._service_of(integration.client, data["service"], "service")
    if "site" in data:
        fields["site"] = alert_services._site_of(integration.client, data["site"], "site")
    return fields


def _schedule(heartbeat: Heartbeat) -> None:
    """due_at and down_at from the last ping (none before the first)."""
    if heartbeat.last_ping_at is None:
        heartbeat.due_at = heartbeat.down_at = None
        return
    heartbeat.due_at = rules.due_at(heartbeat.last_ping_at, heartbeat.interval_minutes)
    heartbeat.down_at = rules.down_at(heartbeat.last_ping_at, heartbeat.interval_minutes, heartbeat.grace_minutes)


@transaction.atomic
def create_heartbeat(integration: Integration, data: dict[str, Any], *, actor: Actor) -> Heartbeat:
    """Add a heartbeat to an integration: new until its first ping."""
    for name in ("name", "slug"):
        if not data.get(name):
            raise field_error(name, "required")
    return crud.create(Heartbeat, {**_fields(integration, data), "integration": integration}, actor=actor)


@transaction.atomic
def update_heartbeat(heartbeat: Heartbeat, data: dict[str, Any], *, actor: Actor) -> Heartbeat:
    """Change a heartbeat; a new interval or grace moves its next due instant."""
    heartbeat = Heartbeat.objects.select_for_update().select_related("integration__client").get(pk=heartbeat.pk)
    fields = _fields(heartbeat.integration, data)
    for name in ("interval_minutes", "grace_minutes"):
        if name in fields:
            setattr(heartbeat, name, fields[name])
    _schedule(heartbeat)
    fields.update(due_at=heartbeat.due_at, down_at=heartbeat.down_at)
    return crud.update(heartbeat, fields, actor=actor)


@transaction.atomic
def delete_heartbeat(heartbeat: Heartbeat, *, actor: Actor) -> None:
    """Remove a heartbeat; if its alert fired, the alert is resolved (nothing will ping it again)."""
    heartbeat = Heartbeat.objects.select_for_update().select_related("integration").get(pk=heartbeat.pk)
    if heartbeat.state == rules.DOWN:
        _send(heartbeat, "resolve", clock.now())
    crud.delete(heartbeat, actor=actor)


def _signal(heartbeat: Heartbeat, action: str, now: dt.datetime) -> Signal:
    """The trigger (missed) or resolve (pinged again) of a heartbeat's alert."""
    last = heartbeat.last_ping_at.isoformat() if heartbeat.last_ping_at else "never"
    return {
        "action": "trigger" if action == "trigger" else "resolve",
        "key": alert_key(heartbeat),
        "summary": (f"Heartbeat {heartbeat.name} missed: no ping since {last} "
                    f"(expected every {heartbeat.interval_minutes} min, grace {heartbeat.grace_minutes} min)")[:1024],
        "source": SOURCE,
        "severity": heartbeat.severity,
        "labels": {**(heartbeat.labels or {}), "alertname": "HeartbeatMissed", "heartbeat": heartbeat.slug},
        "annotations": {},
        "details": {"heartbeat": heartbeat.pk, "interval_minutes": heartbeat.interval_minutes,
                    "grace_minutes": heartbeat.grace_minutes, "last_ping_at": heartbeat.last_ping_at.isoformat()
                    if heartbeat.last_ping_at else None},
        "started_at": now.isoformat(),
        "ended_at": now.isoformat() if action == "resolve" else None,
        "service_id": heartbeat.service_id,
        "site_id": heartbeat.site_id,
    }


def _send(heartbeat: Heartbeat, action: str, now: dt.datetime) -> RawEvent:
    """Store the signal as an accepted delivery of the heartbeat's integration (processing takes it)."""
    signals = [_signal(heartbeat, action, now)]
    digest = hashlib.sha256(orjson.dumps([signals, now.isoformat()], option=orjson.OPT_SORT_KEYS)).hexdigest()
    return RawEvent.objects.create(integration_id=heartbeat.integration_id, received_at=now, signals=signals,
                                   digest=digest)


def _moved(heartbeat: Heartbeat, to: str, reason: str, now: dt.datetime, *, match: dict[str, Any] | None = None,
           writes: dict[str, Any] | None = None) -> bool:
    """Move the heartbeat to `to` (with `writes`) if it is still as read (its state, and `match`);
    False if it is not (nothing written)."""
    rules.MACHINE.apply(heartbeat.state, to)
    updated = Heartbeat.objects.filter(pk=heartbeat.pk, state=heartbeat.state, **(match or {})).update(
        state=to, updated_at=now, **(writes or {}))
    if not updated:
        return False
    before, heartbeat.state = heartbeat.state, to
    timeline.record(heartbeat, "state_changed", actor=ACTOR, summary=reason, changes={"state": [before, to]})
    return True


def _ping_reason(before: str, last: dt.datetime | None) -> str:
    if before == rules.NEW:
        return "First ping: up"
    if before == rules.DOWN:
        return f"Ping after the alert (last ping {last.isoformat() if last else 'never'}): up, alert resolved"
    return "Ping within the grace: up"


def ping(key_hash: str, slug: str, *, now: dt.datetime | None = None) -> Heartbeat | None:
    """Record a ping of the heartbeat `slug` of the active integration with this key hash (None:
    no such heartbeat; nothing written). Durable when it returns: one commit."""
    now = now or clock.now()
    # Each retry follows a state change by the check (up -> late -> down) or another ping (-> up),
    # committed meanwhile: four attempts outlast them all.
    for _attempt in range(4):
        with transaction.atomic():
            found = (Heartbeat.objects.filter(integration__key_hash=key_hash, integration__active=True, slug=slug)
                     .only("id", "integration_id", "name", "slug", "state", "interval_minutes", "grace_minutes",
                           "severity", "labels", "service_id", "site_id", "last_ping_at").first())
            if found is None:
                return None
            if _pinged(found, now):
                return found
    raise Conflict(f"Heartbeat {slug!r} kept changing while the ping was recorded; ping again.")


def _pinged(heartbeat: Heartbeat, now: dt.datetime) -> bool:
    """The ping's writes, unless the heartbeat changed since it was read (then False, to read it again)."""
    before, last = heartbeat.state, heartbeat.last_ping_at
    heartbeat.last_ping_at = now
    _schedule(heartbeat)
    stamp = {"last_ping_at": now, "due_at": heartbeat.due_at, "down_at": heartbeat.down_at, "pings": F("pings") + 1}
    to = rules.ping_step(before)
    if to is None:  # the usual ping: one conditional UPDATE, no timeline
        return bool(Heartbeat.objects.filter(pk=heartbeat.pk, state=before).update(**stamp))
    if not _moved(heartbeat, to, _ping_reason(before, last), now, writes=stamp):
        return False
    if before == rules.DOWN:
        heartbeat.last_ping_at = last  # the resolve tells the ping it had missed
        _send(heartbeat, "resolve", now)
        heartbeat.last_ping_at = now
    return True


def check_overdue(now: dt.datetime | None = None) -> dict[str, int]:
    """Move heartbeats of active integrations past their due instant to late, and past the grace
    to down, raising their alert (idempotent; safe with several workers). What it did, as counts."""
    now = now or clock.now()
    done = {"late": 0, "down": 0}
    # An inactive integration refuses pings: its heartbeats are paused, not missed.
    candidates = (Heartbeat.objects.filter(state__in=(rules.UP, rules.LATE), due_at__lt=now, integration__active=True)
                  .select_related("integration").order_by("due_at", "id"))
    for heartbeat in candidates:
        to = rules.check_step(heartbeat.state, heartbeat.last_ping_at, heartbeat.interval_minutes,
                              heartbeat.grace_minutes, now)
        if to is None:
            continue
        with transaction.atomic():
            reason = (f"No ping since {heartbeat.last_ping_at.isoformat() if heartbeat.last_ping_at else 'ever'}: "
                      + ("late, in the grace" if to == rules.LATE else "down, alert raised"))
            if not _moved(heartbeat, to, reason, now, match={"last_ping_at": heartbeat.last_ping_at}):
                continue  # a ping, or another worker, came first
            if to == rules.DOWN:
                _send(heartbeat, "trigger", now)
            done[to] += 1
    return done
