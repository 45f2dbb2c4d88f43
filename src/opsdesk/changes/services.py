"""Use cases of change requests: create, edit, the one transition function, decisions, review.

Each is one transaction that records the timeline. `transition_change` is the only code that
assigns `ChangeRequest.state`; decisions and reviews move the change through it. Derived data
(clients, risk, the core.schedule entry) is recomputed on every write that can change it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.channels import services as channels
from opsdesk.core import clock, crud, schedule, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.errors import Conflict, InvalidInput, PermissionDenied, field_error

from . import approvals, queries, rules
from .models import Approval, ChangeRequest

FIELDS = (
    "type", "title", "description", "window_start", "window_end", "implementation_plan",
    "verification_plan", "rollback_plan", "team",
)


def _locked(change: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().get(pk=change.pk)


def _check_window(start: Any, end: Any) -> None:
    problems = rules.window_problems(start, end)
    if problems:
        raise InvalidInput(
            "; ".join(f"{f}: {m}" for f, m in problems), errors=[{"field": f, "message": m} for f, m in problems]
        )


def _pick(found: dict[int, Any], ids: list[int], field: str, noun: str) -> list[Any]:
    wanted = list(dict.fromkeys(ids))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise field_error(field, f"unknown {noun} id(s): {', '.join(map(str, missing))}")
    return [found[i] for i in wanted]


def _staff(ids: list[int], field: str) -> list[Any]:
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).exclude(role="client")
    return _pick({u.pk: u for u in users}, ids, field, "staff user")


def _targets(data: dict[str, Any], actor: User, *, creating: bool) -> dict[str, list[Any]]:
    """The many-to-many targets present in `data`, resolved among what the actor may see."""
    m2m: dict[str, list[Any]] = {}
    if data.get("services") is not None:
        m2m["services"] = _pick(queries.visible_services(actor, data["services"]), data["services"], "services", "service")
    sites = data.get("sites")
    if sites is None and creating:
        sites = queries.hosting_site_ids([s.pk for s in m2m.get("services", [])])  # default: where they run
    if sites is not None:
        m2m["sites"] = _pick(queries.visible_sites(actor, sites), sites, "sites", "site")
    if data.get("implementers") is not None:
        m2m["implementers"] = _staff(data["implementers"], "implementers")
    return m2m


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: data[k] for k in FIELDS if k in data}
    if data.get("owner") is not None:
        fields["owner"] = _staff([data["owner"]], "owner")[0]
    return fields


def _sync_schedule(change: ChangeRequest) -> None:
    """Planned and implemented changes occupy core.schedule; draft, rejected, cancelled do not."""
    ref = schedule.ref_for(change)
    if change.state not in rules.SCHEDULED_STATES:
        schedule.remove(ref)
        return
    schedule.put(
        ref, kind="change", label=f"CHG-{change.pk} {change.title}", start_at=change.window_start,
        end_at=change.window_end, state=change.state, maintenance=change.state in rules.MAINTENANCE_STATES,
        site_ids=[s.pk for s in change.sites.all()], service_ids=[s.pk for s in change.services.all()],
        client_ids=[c.pk for c in change.clients.all()],
    )


def _store_risk(change: ChangeRequest, evaluation: queries.Evaluation, actor: Actor) -> None:
    new = evaluation.assessment.as_dict()
    before = change.risk_level
    if new != change.risk:
        ChangeRequest.objects.filter(pk=change.pk).update(risk=new, risk_level=new["level"])
        change.risk, change.risk_level = new, new["level"]
    if before != new["level"]:
        timeline.record(
            change, "risk_assessed", actor=actor, summary=f"Risk {new['level']} (score {new['score']})",
            changes={"risk_level": [before or None, new["level"]]},
        )


def _derive(change: ChangeRequest, actor: Actor) -> queries.Evaluation:
    """Recompute the derived clients, the risk and the schedule entry after a write."""
    clients = queries.derived_client_ids([s.pk for s in change.services.all()], [s.pk for s in change.sites.all()])
    change.clients.set(sorted(clients))
    evaluation = queries.evaluate(change)
    _store_risk(change, evaluation, actor)
    _sync_schedule(change)
    return evaluation


def _reset_approvals(change: ChangeRequest, actor: User, why: str) -> None:
    given = list(change.approvals.select_related("approver"))
    if not given:
        return
    change.approvals.all().delete()
    timeline.record(
        change, "approvals_reset", actor=actor, summary=f"Approvals reset: {why}",
        changes={"approvals": [[f"{a.approver.get_username()} {a.decision} as {a.capacity}" for a in given], []]},
    )


@transaction.atomic
def create_change(data: dict[str, Any], *, actor: User) -> ChangeRequest:
    """Draft a change. The owner defaults to the actor; sites default to the services' hosting sites.

    Plans may be incomplete in a draft; what each type needs is checked on submission.
    """
    if data.get("window_start") is None or data.get("window_end") is None:
        raise field_error("window_start" if data.get("window_start") is None else "window_end", "is required")
    _check_window(data["window_start"], data["window_end"])
    fields = _fields(data)
    fields.setdefault("owner", actor)
    change = crud.create(ChangeRequest, fields, actor=actor, m2m=_targets(data, actor, creating=True))
    _derive(change, actor)
    return change


@transaction.atomic
def update_change(change: ChangeRequest, data: dict[str, Any], *, actor: User) -> ChangeRequest:
    """Edit a change that is not yet approved; approvals given so far are reset by an edit."""
    change = _locked(change)
    if change.state not in rules.EDITABLE_STATES:
        raise Conflict(
            f"A change that is {change.state} can no longer be edited; only draft, submitted, "
            "assessing or rejected changes can. Cancel it and raise a new one instead."
        )
    _check_window(data.get("window_start") or change.window_start, data.get("window_end") or change.window_end)
    fields = {k: v for k, v in _fields(data).items() if k not in ("window_start", "window_end") or v is not None}
    for required in ("type", "title"):
        if required in fields and fields[required] is None:
            raise field_error(required, "cannot be empty")
    crud.update(change, fields, actor=actor, m2m=_targets(data, actor, creating=False))
    if change.state in rules.DECIDING_STATES:
        missing = rules.submission_problems(
            change.type, change.implementation_plan, change.verification_plan, change.rollback_plan
        )
        if missing:
            raise Conflict(f"A submitted {change.type} change needs {', '.join(missing)}.")
        _reset_approvals(change, actor, "the change was edited")
    _derive(change, actor)
    return change


@transaction.atomic
def delete_change(change: ChangeRequest, *, actor: User) -> None:
    """Delete a draft (anything further along is cancelled instead, so its history stays)."""
    change = _locked(change)
    if change.state != "draft":
        raise Conflict(f"Only drafts can be deleted; this change is {change.state}. Cancel it instead.")
    schedule.remove(schedule.ref_for(change))
    crud.delete(change, actor=actor)


def _guard(change: ChangeRequest, to: str) -> None:
    """What a transition needs beyond the machine's table."""
    if to == "submitted":
        missing = rules.submission_problems(
            change.type, change.implementation_plan, change.verification_plan, change.rollback_plan
        )
        if missing:
            raise Conflict(f"Before submitting this {change.type} change, add {', '.join(missing)}.")
    elif to == "approved":
        evaluation = queries.evaluate(change)
        status = queries.approval_status(change, evaluation.assessment.level, evaluation.violations)
        if status.blocked_by:
            raise Conflict(
                f"A {change.type} change cannot be approved while its window breaks the site rules: "
                + "; ".join(v.rstrip(".") for v in status.blocked_by)
                + ". Move the window, or (if it is urgent) raise it as an emergency change with an emergency approval."
            )
        if status.rejected:
            raise Conflict("This change has been rejected; return it to draft and submit it again.")
        if status.missing:
            raise Conflict(f"This {evaluation.assessment.level}-risk change still needs {', '.join(status.missing)}.")
    elif to == "rejected":
        if not change.approvals.filter(decision="rejected").exists():
            raise Conflict(
                "A change is rejected by an approver's decision: POST /api/v1/changes/{id}/approvals "
                "with decision 'rejected'.".replace("{id}", str(change.pk))
            )
    elif to == "reviewed":
        problems = rules.review_problems(change.state, change.outcome, change.lessons)
        if problems:
            raise Conflict(
                "Record the post-implementation review first (POST /api/v1/changes/"
                f"{change.pk}/review): {'; '.join(problems)}."
            )


CHANNEL_EVENTS = {"approved": "change.approved", "implementing": "change.started"}  # finished: change.completed


@transaction.atomic
def transition_change(change: ChangeRequest, to: str, *, actor: User, reason: str = "") -> ChangeRequest:
    """Move a change to `to`: the machine's table, the step's guard, the timeline, the schedule."""
    change = _locked(change)
    before = change.state
    rules.MACHINE.apply(before, to)
    if to in rules.REASON_REQUIRED and not reason.strip():
        raise field_error("reason", f"say why the change is {to.replace('_', ' ')}")
    _guard(change, to)
    if to in rules.FINISHED_STATES:
        change.completed_at = clock.now()
        if to in rules.FAILED_OUTCOMES:
            change.outcome = to
    if to == "draft":
        _reset_approvals(change, actor, "the change returned to draft")
    change.state = to
    change.save(update_fields=["state", "completed_at", "outcome", "updated_at"])
    summary = f"State {before} → {to}" + (f": {reason.strip()}" if reason.strip() else "")
    timeline.record(change, "transitioned", actor=actor, summary=summary, changes={"state": [before, to]})
    if to in CHANNEL_EVENTS or to in rules.FINISHED_STATES:  # responders' channels only: no client wording yet
        channels.publish_object_event(CHANNEL_EVENTS.get(to, "change.completed"), ref=f"change:{change.pk}",
                                      title=str(change), url=f"/changes/{change.pk}/", summary=summary,
                                      status=change.get_state_display(), payload={"state": to})
    if to in rules.PLANNED_STATES:
        _derive(change, actor)
    else:
        _sync_schedule(change)
    return change


def _approver(user: Any) -> approvals.Approver:
    return approvals.Approver(
        id=user.pk, is_client_user=bool(getattr(user, "is_client_user", False)), client_id=user.client_id,
        can_approve=user.has_perm_code("changes.approve"),
        can_approve_as_client=user.has_perm_code("changes.approve_as_client"),
    )


@transaction.atomic
def decide(
    change: ChangeRequest, actor: User, *, capacity: str | None, decision: str | None, comment: str = ""
) -> ChangeRequest:
    """`actor` approves or rejects in `capacity`; a rejection rejects the change, the last approval approves it."""
    approver = actor
    if capacity not in approvals.CAPACITIES:
        raise field_error("capacity", f"one of {', '.join(approvals.CAPACITIES)}")
    if decision not in approvals.DECISIONS:
        raise field_error("decision", f"one of {', '.join(approvals.DECISIONS)}")
    if decision == "rejected" and not comment.strip():
        raise field_error("comment", "say why you reject the change")
    change = _locked(change)
    if change.state not in rules.DECIDING_STATES:
        raise Conflict(f"Decisions are taken while a change is submitted or assessing; this one is {change.state}.")
    evaluation = queries.evaluate(change)
    problem = approvals.capacity_problem(
        capacity, _approver(approver), owner_id=change.owner_id, change_type=change.type,
        change_client_ids=frozenset(c.pk for c in change.clients.all()), has_violations=bool(evaluation.violations),
    )
    if problem:
        raise PermissionDenied(problem)
    if Approval.objects.filter(change=change, approver=approver, capacity=capacity).exists():
        raise Conflict(f"You have already decided on this change as {capacity}.")
    Approval.objects.create(
        change=change, approver=approver, capacity=capacity, decision=decision, comment=comment, decided_at=clock.now()
    )
    timeline.record(
        change, "decided", actor=approver,
        summary=f"{decision.capitalize()} as {capacity}" + (f": {comment.strip()}" if comment.strip() else ""),
        changes={"approvals": [None, {"approver": approver.pk, "capacity": capacity, "decision": decision}]},
    )
    _store_risk(change, evaluation, approver)
    if change.state == "submitted":
        change = transition_change(change, "assessing", actor=approver, reason="first decision recorded")
    if decision == "rejected":
        return transition_change(
            change, "rejected", actor=approver,
            reason=f"rejected by {approver.get_username()} as {capacity}: {comment.strip()}",
        )
    status = queries.approval_status(change, change.risk_level, evaluation.violations)
    if status.complete:
        change = transition_change(
            change, "approved", actor=approver, reason="all required approvals are in (" + ", ".join(status.required) + ")"
        )
    return change


@transaction.atomic
def record_review(
    change: ChangeRequest, *, outcome: str | None, caused_incident: bool | None, lessons: str | None, actor: User
) -> ChangeRequest:
    """Record the post-implementation review and move a finished change to reviewed."""
    change = _locked(change)
    if change.state not in rules.FINISHED_STATES and change.state != "reviewed":
        raise Conflict(
            f"A review is recorded after implementation (completed, rolled back or failed); this change is {change.state}."
        )
    outcome = outcome if outcome is not None else change.outcome
    lessons = lessons if lessons is not None else change.lessons
    if outcome and outcome not in ChangeRequest.Outcome.values:
        raise field_error("outcome", f"one of {', '.join(ChangeRequest.Outcome.values)}")
    problems = rules.review_problems(change.state, outcome, lessons)
    if problems:
        raise InvalidInput("; ".join(problems).capitalize() + ".", errors=[{"field": "review", "message": p} for p in problems])
    names = ["outcome", "lessons", "caused_incident"]
    before = timeline.snapshot(change, names)
    change.outcome, change.lessons = outcome, lessons
    if caused_incident is not None:
        change.caused_incident = caused_incident
    change.full_clean()
    change.save(update_fields=[*names, "updated_at"])
    changes = timeline.diff(before, timeline.snapshot(change, names))
    if changes:
        label = ChangeRequest.Outcome(outcome).label.lower() if outcome else "no outcome"
        incident = "; caused an incident" if change.caused_incident else ""
        timeline.record(change, "reviewed", actor=actor, summary=f"Review: {label}{incident}. Lessons: {lessons}",
                        changes=changes)
    if change.state in rules.FINISHED_STATES:
        change = transition_change(change, "reviewed", actor=actor, reason="post-implementation review recorded")
    return change


@transaction.atomic
def link_incident(change: ChangeRequest, *, actor: User, incident: str = "") -> ChangeRequest:
    """Mark that the change caused an incident (the seam for the incident capability)."""
    change = _locked(change)
    if change.state != "implementing" and change.state not in rules.IMPLEMENTED_STATES:
        raise Conflict(f"Only a change being or already implemented can cause an incident; this one is {change.state}.")
    if not change.caused_incident:
        change.caused_incident = True
        change.save(update_fields=["caused_incident", "updated_at"])
        timeline.record(
            change, "incident_linked", actor=actor,
            summary="Caused an incident" + (f": {incident}" if incident else ""),
            changes={"caused_incident": [False, True]},
        )
    return change
