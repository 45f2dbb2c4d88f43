"""One timeline: every transition of every state machine (the core.fsm tables in the apps' rules
modules), run through its service, leaves an entry saying who moved the object from which state
to which. Table-driven from the machines themselves, so a new transition (or a new machine) that
the service does not record fails here."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import opsdesk
from opsdesk.alerts.heartbeats import rules as heartbeat_rules
from opsdesk.alerts.heartbeats import services as heartbeats
from opsdesk.changes import rules as change_rules
from opsdesk.changes import services as changes
from opsdesk.changes.models import Approval, ChangeRequest
from opsdesk.core import clock, timeline
from opsdesk.core.fsm import Machine
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents import services as incidents
from opsdesk.learning import rules as learning_rules
from opsdesk.learning import services as learning
from opsdesk.learning.models import Problem
from opsdesk.paging import rules as paging_rules
from opsdesk.paging import services as paging
from opsdesk.paging.models import Escalation, Page
from opsdesk.workorders import rules as wo_rules
from opsdesk.workorders import services as workorders
from opsdesk.workorders.models import WorkOrder
from tests import factories as f
from tests.changes.helpers import make_change
from tests.incidents.factories import make_incident
from tests.learning.factories import make_action, make_postmortem
from tests.workorders.builders import NOW, arrange, make, world

pytestmark = pytest.mark.django_db
REASON = "a reason for the record"


def _machines() -> dict[str, Machine]:
    """Every Machine declared in a rules module of opsdesk's apps, by name."""
    found: dict[str, Machine] = {}
    for info in pkgutil.walk_packages(opsdesk.__path__, "opsdesk."):
        if info.name.rsplit(".", 1)[-1].endswith("rules"):
            module = importlib.import_module(info.name)
            found.update({v.name: v for v in vars(module).values() if isinstance(v, Machine)})
    return found


def _pairs(entries: Any, **match: Any) -> list[tuple[str, Any, str]]:
    """(actor, [before, after] of state, verb) of the entries whose changes carry `match`."""
    return [
        (e.actor_label, (e.changes or {}).get("state"), e.verb)
        for e in entries
        if all((e.changes or {}).get(k) == v for k, v in match.items())
    ]


# -- one way to put an object in a state, move it, and read its timeline, per machine --------------


def _change(src: str, dst: str, actor: Any) -> list[Any]:
    change = make_change(f.make_user("service_desk", password=None))
    ChangeRequest.objects.filter(pk=change.pk).update(state=src)
    if dst == "approved":
        Approval.objects.create(change=change, approver=actor, capacity="change_approver", decision="approved",
                                decided_at=clock.now())
        Approval.objects.create(change=change, approver=f.make_user("engineer", password=None), capacity="peer",
                                decision="approved", decided_at=clock.now())
    elif dst == "rejected":
        Approval.objects.create(change=change, approver=actor, capacity="change_approver", decision="rejected",
                                comment="no", decided_at=clock.now())
    elif dst == "reviewed":
        outcome = sorted(change_rules.OUTCOMES_FOR[src])[0]
        ChangeRequest.objects.filter(pk=change.pk).update(outcome=outcome, lessons="Rehearse first.")
    changes.transition_change(change, dst, actor=actor, reason=REASON)
    return _pairs(timeline.for_object(change))


def _work_order(src: str, dst: str, actor: Any) -> list[Any]:
    w = world()
    wo = make(w, "submitted")
    arrange(w, wo)  # nothing blocks: the gated moves pass the gate
    WorkOrder.objects.filter(pk=wo.pk).update(state=src)
    with clock.frozen(NOW):
        workorders.transition_work_order(wo, dst, actor=actor, reason=REASON)
    return _pairs(timeline.for_object(wo))


def _incident(src: str, dst: str, actor: Any) -> list[Any]:
    incident = make_incident(state=src)
    incidents.transition_incident(incident, dst, actor=actor, reason=REASON)
    return _pairs(timeline.for_object(incident))


def _escalation(src: str, dst: str, actor: Any) -> list[Any]:
    incident = make_incident(state="triggered", acknowledged_after=None)
    esc = Escalation.objects.create(incident=incident, urgency="high", state=src, started_at=clock.now())
    paging.transition_escalation(esc, dst, actor=actor, reason=REASON)
    return _pairs(timeline.for_object(incident), escalation=esc.pk)


def _page(src: str, dst: str, actor: Any) -> list[Any]:
    incident = make_incident(state="triggered", acknowledged_after=None)
    esc = Escalation.objects.create(incident=incident, urgency="high", started_at=clock.now())
    page = Page.objects.create(escalation=esc, position=0, person=actor, idempotency_key=f"t:{incident.pk}",
                               due_at=clock.now(), state=src)
    paging.transition_pages([page], dst, actor=actor)
    return _pairs(timeline.for_object(incident), page=page.pk)


def _postmortem(src: str, dst: str, actor: Any) -> list[Any]:
    pm = make_postmortem(state=src)
    learning.transition_postmortem(pm, dst, actor, REASON)
    return _pairs(timeline.for_object(pm.incident), postmortem=pm.pk)


def _action(src: str, dst: str, actor: Any) -> list[Any]:
    pm = make_postmortem()
    action = make_action(pm, due_on=dt.date(2030, 1, 1), state=src)
    learning.update_action(action, {"state": dst}, actor)
    return _pairs(timeline.for_object(pm.incident), action=action.pk)


def _problem(src: str, dst: str, actor: Any) -> list[Any]:
    problem = Problem.objects.create(title="Recurring errors", signature=f"sig-{f.n()}", state=src,
                                     known_error="The cache evicts hot keys")
    learning.transition_problem(problem, dst, actor, REASON)
    return _pairs(timeline.for_object(problem))


def _heartbeat(src: str, dst: str, actor: Any) -> list[Any]:
    """Heartbeats move by themselves: a ping moves them up, the worker's check late or down."""
    from opsdesk.alerts import keys
    from opsdesk.alerts.models import Heartbeat
    from tests.alerts.factories import make_integration

    integration, key = make_integration("generic")
    beat = heartbeats.create_heartbeat(integration, {"name": "Cron", "slug": "cron", "interval_minutes": 5,
                                                     "grace_minutes": 5}, actor=actor)
    last = NOW - dt.timedelta(minutes=1)
    if src != heartbeat_rules.NEW:
        Heartbeat.objects.filter(pk=beat.pk).update(
            state=src, last_ping_at=last, due_at=heartbeat_rules.due_at(last, 5),
            down_at=heartbeat_rules.down_at(last, 5, 5))
    if dst == heartbeat_rules.UP:
        heartbeats.ping(keys.hash_key(key), "cron", now=NOW)
    else:
        heartbeats.check_overdue(now=last + dt.timedelta(minutes=7 if dst == heartbeat_rules.LATE else 11))
    return _pairs(timeline.for_object(beat))


@dataclass(frozen=True)
class Kind:
    """How the test drives one machine: its table, a function (src, dst, actor) -> state entries,
    and who the entry names when not the acting user (a machine that moves by itself)."""

    machine: Machine
    move: Callable[[str, str, Any], list[Any]]
    actor: str | None = None


KINDS = {
    "change": Kind(change_rules.MACHINE, _change),
    "work order": Kind(wo_rules.MACHINE, _work_order),
    "incident": Kind(incident_rules.MACHINE, _incident),
    "postmortem": Kind(learning_rules.POSTMORTEM_MACHINE, _postmortem),
    "action item": Kind(learning_rules.ACTION_MACHINE, _action),
    "problem": Kind(learning_rules.PROBLEM_MACHINE, _problem),
    "heartbeat": Kind(heartbeat_rules.MACHINE, _heartbeat, actor=heartbeats.ACTOR.name),
    "escalation": Kind(paging_rules.ESCALATION_MACHINE, _escalation),
    "page": Kind(paging_rules.PAGE_MACHINE, _page),
}
EDGES = [
    pytest.param(name, src, dst, id=f"{name}:{src}->{dst}")
    for name, kind in KINDS.items()
    for src in kind.machine.states
    for dst in sorted(kind.machine.allowed(src))
]


def test_every_machine_of_the_apps_is_driven_here() -> None:
    assert set(_machines()) == set(KINDS), "a new state machine needs a row in KINDS (and its service must record)"
    assert all(_machines()[name] is kind.machine for name, kind in KINDS.items())


@pytest.mark.parametrize(("name", "src", "dst"), EDGES)
def test_every_transition_is_on_the_timeline(name: str, src: str, dst: str) -> None:
    actor = f.make_user("admin", password=None)
    entries = KINDS[name].move(src, dst, actor)
    assert (KINDS[name].actor or actor.get_username(), [src, dst]) in [(who, state) for who, state, _ in entries], entries

