"""Use cases of work orders: create (staff or a client's request), edit, overrides, assignment,
arrangements, parts, comments, handoffs; the one transition function (transitions.py) and on-site
execution (execution.py) are re-exported here, so services stay the one entry point.

Each is one transaction that records the timeline. `transition_work_order` is the only code that
assigns `WorkOrder.state`. Derived data (blocked, at_risk, next_needed_by, the readiness JSON, the
core.schedule 'visit') is recomputed by `transitions.derive` on every write that can change it.

Decisions:
- A client user's request is created `submitted`, for the user's own client, owned by the first
  active service desk user (else the first active admin): one named person, always.
- Staff create `submitted` by default, or `draft` when asked; the owner defaults to the actor.
- Changing the owner or team (also through an edit) is a handoff (handoffs.py).
- Assigning an engineer who is not eligible is allowed: readiness then shows an 'engineer'
  blocker, so dispatch can see why and override or reassign.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from opsdesk.accounts import queries as account_queries
from opsdesk.accounts.models import User
from opsdesk.core import clock, crud, events, notify, timeline
from opsdesk.core.audit import record_audit, target_of
from opsdesk.core.errors import Conflict, PermissionDenied, field_error
from opsdesk.core.models import Activity
from opsdesk.people.models import Engineer
from opsdesk.sites.models import SiteRequirement
from opsdesk.sites.rules import applies_to

from . import handoffs, queries
from .events import WorkOrderChanged
from .handoffs import acknowledge_handoff  # noqa: F401  (re-exported: services are the entry point)
from .models import CATEGORIES, Arrangement, Comment, Handoff, Override, Part, WorkOrder
from .readiness import queries as readiness_queries
from .readiness.rules import OWNERS
from .transitions import (  # noqa: F401  (re-exported)
    CLIENT,
    REASON_REQUIRED,
    _locked,
    derive,
    gate_refusal,
    refresh_readiness,
    transition_work_order,
)

PLAIN_FIELDS = ("title", "description", "priority", "estimated_minutes", "info")
CREATE_STATES = ("draft", "submitted")
MAX_WINDOW = dt.timedelta(days=14)


def _is_client(user: Any) -> bool:
    return bool(getattr(user, "is_client_user", False))


def _check_window(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if (start is None) != (end is None):
        missing = "window_end" if end is None else "window_start"
        raise field_error(missing, "give both ends of the window, or neither")
    if start is None or end is None:
        return
    for name, value in (("window_start", start), ("window_end", end)):
        if value.tzinfo is None:
            raise field_error(name, "must include a UTC offset, e.g. 2030-06-01T09:00:00+01:00")
    if end <= start:
        raise field_error("window_end", "the window must end after it starts")
    if end - start > MAX_WINDOW:
        raise field_error("window_end", f"a work window lasts at most {MAX_WINDOW.days} days")


def _category(value: Any) -> str:
    known = [c for c, _ in CATEGORIES]
    if value not in known:
        raise field_error("category", f"unknown category '{value}'; one of {', '.join(known)}")
    return str(value)


def _codes(found: dict[str, Any], codes: list[str], field: str) -> list[Any]:
    missing = [c for c in dict.fromkeys(codes) if c not in found]
    if missing:
        raise field_error(field, f"unknown code(s): {', '.join(missing)}")
    return [found[c] for c in dict.fromkeys(codes)]


def _site(actor: User, site_id: Any, client_id: int) -> Any:
    site = queries.visible_site(actor, int(site_id)) if site_id else None
    if site is None:
        raise field_error("site", f"unknown site id: {site_id}")
    if not queries.site_serves(site, client_id):
        raise field_error("site", f"site {site.code} does not serve this client")
    return site


def _m2m(data: dict[str, Any], client_id: int) -> dict[str, list[Any]]:
    m2m: dict[str, list[Any]] = {}
    if data.get("services") is not None:
        ids = [int(i) for i in data["services"]]
        found = queries.client_services(client_id, ids)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            raise field_error("services", f"not services of this client: {', '.join(map(str, missing))}")
        m2m["services"] = [found[i] for i in dict.fromkeys(ids)]
    if data.get("required_skills") is not None:
        codes = list(data["required_skills"])
        m2m["required_skills"] = _codes(queries.skills_by_code(codes), codes, "required_skills")
    if data.get("required_certifications") is not None:
        codes = list(data["required_certifications"])
        m2m["required_certifications"] = _codes(
            queries.certifications_by_code(codes), codes, "required_certifications"
        )
    return m2m


def _change(actor: User, change_id: Any) -> Any:
    if change_id is None:
        return None
    change = queries.visible_change(actor, int(change_id))
    if change is None:
        raise field_error("change", f"unknown change id: {change_id}")
    return change


def _engineer(value: Any) -> Engineer | None:
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, Engineer):
        return value
    found = Engineer.objects.filter(pk=int(value)).first()
    if found is None:
        raise field_error("engineer", f"unknown engineer id: {value}")
    return found


def _require(actor: User, permission: str) -> None:
    if not actor.has_perm_code(permission):
        raise PermissionDenied(f"Your role ({actor.get_role_display()}) may not do this ({permission}).")


# -- create and edit ------------------------------------------------------------------------------


def _parts(wo: WorkOrder, items: list[dict[str, Any]], *, replace: bool) -> dict[str, Any]:
    """Add parts (no id), update listed ones (id); with `replace`, remove the unlisted."""
    kept: list[int] = []
    existing = {p.pk: p for p in wo.parts.all()} if replace else {}
    for i, item in enumerate(items):
        item = dict(item)
        part_id = item.pop("id", None)
        if part_id is not None:
            part = existing.get(int(part_id))
            if part is None:
                raise field_error(f"parts.{i}.id", f"WO-{wo.pk} has no part {part_id}")
        else:
            if not str(item.get("part_number") or "").strip():
                raise field_error(f"parts.{i}.part_number", "is required")
            part = Part(work_order=wo)
        for name in ("part_number", "description", "quantity", "shipment", "expected_at", "delivered_at"):
            if item.get(name) is not None:
                setattr(part, name, item[name])
        if part.shipment == Part.Shipment.DELIVERED and part.delivered_at is None:
            part.delivered_at = clock.now()
        part.full_clean(exclude=["work_order"])
        part.save()
        kept.append(part.pk)
    removed = [pk for pk in existing if pk not in kept]
    if removed:
        Part.objects.filter(pk__in=removed).delete()
    return {"parts": [sorted(existing), sorted(kept)]} if replace else {"parts": [[], kept]}


def _mark_rework(original: WorkOrder, rework: WorkOrder, actor: User) -> None:
    """A follow-up that references earlier work means that work was not fixed the first time."""
    WorkOrder.objects.filter(pk=original.pk).update(first_time_fix=False)
    timeline.record(
        original, "rework_raised", actor=actor, summary=f"Rework raised: WO-{rework.pk} {rework.title}",
        changes={"first_time_fix": [original.first_time_fix, False], "rework": rework.pk}, visibility=CLIENT,
    )
    original.first_time_fix = False


def _creation_fields(data: dict[str, Any], actor: User) -> dict[str, Any]:
    """Who the work is for, who owns it and which state it starts in."""
    if _is_client(actor):
        if data.get("client") not in (None, actor.client_id):
            raise field_error("client", f"unknown client id: {data['client']}")
        owner = queries.default_request_owner()
        if owner is None:
            raise Conflict("Nobody at the service desk can take requests yet; ask your provider to add a service desk user.")
        return {"client": actor.client, "owner": owner, "state": "submitted"}
    client = queries.visible_client(actor, int(data["client"])) if data.get("client") else None
    if client is None:
        raise field_error("client", "is required" if not data.get("client") else f"unknown client id: {data['client']}")
    owner = actor
    if data.get("owner") is not None:
        owner = account_queries.active_staff(int(data["owner"]))
        if owner is None:
            raise field_error("owner", f"unknown active staff user id: {data['owner']}")
    state = data.get("state") or "submitted"
    if state not in CREATE_STATES:
        raise field_error("state", "new work starts as draft or submitted; move it on with a transition")
    return {"client": client, "owner": owner, "state": state, "team": (data.get("team") or "").strip()}


@transaction.atomic
def create_work_order(data: dict[str, Any], *, actor: User) -> WorkOrder:
    """Create a work order (staff) or a client's request (always submitted; see the module notes)."""
    fields = _creation_fields(data, actor)
    client = fields["client"]
    site = _site(actor, data.get("site"), client.pk)
    _check_window(data.get("window_start"), data.get("window_end"))
    if not fields.get("team"):
        # Nobody named a team (a client's request, or staff leaving it blank): the service desk of
        # the site's region takes it, so the work always has a team as well as an owner.
        fields["team"] = f"Service desk {site.region.code}"
    fields.update(
        site=site, category=_category(data.get("category")), window_start=data.get("window_start"),
        window_end=data.get("window_end"), change=_change(actor, data.get("change")),
        **{k: data[k] for k in PLAIN_FIELDS if data.get(k) is not None},
    )
    if data.get("engineer") is not None:
        _require(actor, "workorders.dispatch")
        fields["engineer"] = _engineer(data["engineer"])
    original = None
    if data.get("rework_of") is not None:
        original = queries.visible_work_order(actor, int(data["rework_of"]))
        if original is None or original.client_id != client.pk:
            raise field_error("rework_of", f"unknown work order id: {data['rework_of']}")
        fields["rework_of"] = original
    wo = crud.create(WorkOrder, fields, actor=actor, m2m=_m2m(data, client.pk))
    if data.get("parts"):
        _parts(wo, list(data["parts"]), replace=False)
    if wo.state == "submitted":
        by = "Request submitted" if _is_client(actor) else "Work order submitted"
        timeline.record(wo, "submitted", actor=actor, summary=f"{by}: {wo.title}", visibility=CLIENT)
    if original is not None:
        _mark_rework(original, wo, actor)
    if _is_client(actor):
        notify.notify([wo.owner], f"New request WO-{wo.pk} from {client.name}", wo.title, handoffs.url_of(wo))
    events.publish(WorkOrderChanged(wo.pk))
    return derive(wo, actor)


@transaction.atomic
def update_work_order(wo: WorkOrder, data: dict[str, Any], *, actor: User) -> WorkOrder:
    """Edit a work order that is not finished; an owner or team change is recorded as a handoff."""
    wo = _locked(wo)
    if wo.state in ("completed", "verified", "closed", "cancelled"):
        raise Conflict(f"WO-{wo.pk} is {wo.state}; finished work can no longer be edited. Raise a rework instead.")
    if data.get("state") is not None:
        raise field_error("state", f"change the state with POST /api/v1/work-orders/{wo.pk}/transitions")
    if data.get("client") not in (None, wo.client_id):
        raise field_error("client", "the client of a work order cannot change; raise a new one")
    fields: dict[str, Any] = {k: data[k] for k in PLAIN_FIELDS if data.get(k) is not None}
    if data.get("title") is not None and not str(data["title"]).strip():
        raise field_error("title", "cannot be empty")
    if data.get("category") is not None:
        fields["category"] = _category(data["category"])
    if data.get("site") is not None:
        fields["site"] = _site(actor, data["site"], wo.client_id)
    if "window_start" in data or "window_end" in data:
        start = data.get("window_start") if "window_start" in data else wo.window_start
        end = data.get("window_end") if "window_end" in data else wo.window_end
        _check_window(start, end)
        fields["window_start"], fields["window_end"] = start, end
    if "change" in data:
        fields["change"] = _change(actor, data["change"])
    if "engineer" in data:
        _require(actor, "workorders.dispatch")
        fields["engineer"] = _engineer(data["engineer"])
    crud.update(wo, fields, actor=actor, m2m=_m2m(data, wo.client_id))
    if data.get("parts") is not None:
        _parts(wo, list(data["parts"]), replace=True)
    owner, team = data.get("owner"), data.get("team")
    if (owner is not None and int(owner) != wo.owner_id) or (team is not None and team.strip() != wo.team):
        handoffs.record_handoff(
            wo, to_user=owner if owner is not None else wo.owner_id, to_team=team, actor=actor,
            done_so_far="Reassigned through an edit of the work order.",
        )
    events.publish(WorkOrderChanged(wo.pk))
    return derive(wo, actor)


# -- readiness inputs -----------------------------------------------------------------------------


@transaction.atomic
def override_blocker(wo: WorkOrder, key: str, *, reason: str, actor: User) -> Override:
    """A dispatcher proceeds despite one open blocker; the reason is recorded and on the timeline."""
    _require(actor, "workorders.dispatch")
    wo = _locked(wo)
    if not (reason or "").strip():
        raise field_error("reason", "say why the work may proceed despite this blocker")
    result = readiness_queries.evaluate_work_order(wo)
    blocker = next((b for b in result.blockers if b.key == key), None)
    if blocker is None:
        keys = ", ".join(b.key for b in result.blockers) or "none"
        raise field_error("blocker", f"WO-{wo.pk} has no blocker '{key}'; open blockers: {keys}")
    if blocker.overridden:
        raise Conflict(f"The blocker '{key}' of WO-{wo.pk} is already overridden.")
    override = Override.objects.create(work_order=wo, blocker=key, reason=reason.strip(), by=actor, at=clock.now())
    timeline.record(
        wo, "blocker_overridden", actor=actor, summary=f"Override of {blocker.kind} blocker ({key}): {reason.strip()}",
        changes={"override": {"blocker": key, "detail": blocker.detail, "rule": blocker.rule}},
    )
    record_audit(
        "readiness.override", actor=actor, target=target_of(wo),
        before={"blocker": key, "kind": blocker.kind, "detail": blocker.detail, "overridden": False},
        after={"overridden": True, "reason": reason.strip()}, detail={"rule": blocker.rule},
    )
    derive(wo, actor)
    return override


@transaction.atomic
def assign(wo: WorkOrder, engineer: Engineer | int | None, *, actor: User) -> WorkOrder:
    """Assign an engineer (or nobody); the engineer's user is told. Eligibility shows in readiness."""
    _require(actor, "workorders.dispatch")
    wo = _locked(wo)
    if wo.state in ("completed", "verified", "closed", "cancelled"):
        raise Conflict(f"WO-{wo.pk} is {wo.state}; assign engineers to open work only.")
    found = _engineer(engineer)
    before = wo.engineer_id
    if found is not None and not found.active and found.pk != before:
        raise field_error("engineer", f"{found.name} is inactive")
    if (found.pk if found else None) == before:
        return derive(wo, actor)
    wo.engineer = found
    wo.save(update_fields=["engineer", "updated_at"])
    timeline.record(
        wo, "assigned", actor=actor, summary=f"Assigned to {found.name}" if found else "Engineer unassigned",
        changes={"engineer": [before, found.pk if found else None]},
    )
    if found is not None and found.user_id:
        notify.notify([found.user], f"WO-{wo.pk} assigned to you", wo.title, handoffs.url_of(wo))
    return derive(wo, actor)


@transaction.atomic
def record_arrangement(
    wo: WorkOrder, requirement_id: int, *, state: str, reference: str = "", note: str = "", actor: User
) -> Arrangement:
    """Record what has been done about one site requirement (e.g. the access request submitted/approved).

    Client users may record only what the client owns (access requests).
    """
    wo = _locked(wo)
    req = SiteRequirement.objects.filter(pk=requirement_id, site_id=wo.site_id).first()
    if req is None:
        raise field_error("requirement", f"{wo.site.code} has no requirement {requirement_id}")
    if not applies_to(req.categories or [], wo.category):
        raise field_error("requirement", f"this {req.get_kind_display()} rule does not apply to {wo.category} work")
    if state not in Arrangement.State.values:
        raise field_error("state", f"one of {', '.join(Arrangement.State.values)}")
    owner = OWNERS.get(req.kind, "service_desk")
    if _is_client(actor) and owner != "client":
        raise PermissionDenied(f"The {req.get_kind_display()} is arranged by the {owner.replace('_', ' ')}.")
    now = clock.now()
    arrangement, _ = Arrangement.objects.get_or_create(work_order=wo, requirement=req)
    before = arrangement.state
    arrangement.state, arrangement.reference, arrangement.note = state, reference.strip(), note.strip()
    if state in ("submitted", "approved") and arrangement.submitted_at is None:
        arrangement.submitted_at = now
    if state == "approved":
        arrangement.approved_at = arrangement.approved_at if before == "approved" else now
    elif state in ("requested", "submitted", "rejected"):
        arrangement.approved_at = None
    arrangement.save()
    timeline.record(
        wo, "arrangement_recorded", actor=actor,
        summary=f"{req.get_kind_display()}: {state}" + (f" ({arrangement.reference})" if arrangement.reference else ""),
        changes={"arrangement": {"requirement": req.pk, "state": [before, state]}},
        visibility=CLIENT if owner == "client" else Activity.Visibility.INTERNAL,
    )
    derive(wo, actor)
    return arrangement


@transaction.atomic
def update_part(wo: WorkOrder, part_id: int, data: dict[str, Any], *, actor: User) -> Part:
    """Change one part's shipment state, expected or delivered time, quantity or description."""
    wo = _locked(wo)
    part = wo.parts.filter(pk=part_id).first()
    if part is None:
        raise field_error("part", f"WO-{wo.pk} has no part {part_id}")
    if data.get("shipment") is not None and data["shipment"] not in Part.Shipment.values:
        raise field_error("shipment", f"one of {', '.join(Part.Shipment.values)}")
    before = timeline.snapshot(part)
    for name in ("description", "quantity", "shipment", "expected_at", "delivered_at"):
        if data.get(name) is not None:
            setattr(part, name, data[name])
    if part.shipment == Part.Shipment.DELIVERED and part.delivered_at is None:
        part.delivered_at = clock.now()
    part.full_clean()
    part.save()
    changes = timeline.diff(before, timeline.snapshot(part))
    timeline.record(wo, "part_updated", actor=actor, summary=f"Part {part.part_number}: {part.shipment}",
                    changes={"part": part.pk, **changes})
    derive(wo, actor)
    return part


@transaction.atomic
def add_comment(wo: WorkOrder, body: str, *, visibility: str | None = None, actor: User) -> Comment:
    """Add a comment; client users only ever post client-visible ones. The owner hears of client messages."""
    visibility = visibility or (Comment.Visibility.CLIENT if _is_client(actor) else Comment.Visibility.INTERNAL)
    if visibility not in Comment.Visibility.values:
        raise field_error("visibility", f"one of {', '.join(Comment.Visibility.values)}")
    if _is_client(actor) and visibility != Comment.Visibility.CLIENT:
        raise PermissionDenied("Client users' comments are always visible to the client; internal notes are for staff.")
    if not (body or "").strip():
        raise field_error("body", "write the comment first")
    comment = Comment.objects.create(
        work_order=wo, author=actor, body=body.strip(), visibility=visibility, created_at=clock.now()
    )
    client_visible = visibility == Comment.Visibility.CLIENT
    timeline.record(
        wo, "commented", actor=actor, summary=body.strip()[:500], changes={"comment": comment.pk},
        visibility=CLIENT if client_visible else Activity.Visibility.INTERNAL,
    )
    if _is_client(actor):
        notify.notify([wo.owner], f"Message from the client on WO-{wo.pk}", body.strip()[:1000], handoffs.url_of(wo))
    return comment


@transaction.atomic
def hand_off(
    wo: WorkOrder, *, to_user: Any, to_team: str | None = None, done_so_far: str = "", next_step: str = "",
    open_questions: str = "", links: list[str] | None = None, actor: User,
) -> Handoff:
    """Hand the work order to another owner and/or team with a summary; the receiver must acknowledge."""
    if not (next_step or "").strip():
        raise field_error("next_step", "say what the receiver should do next")
    wo = _locked(wo)
    if wo.state in ("closed", "cancelled"):
        raise Conflict(f"WO-{wo.pk} is {wo.state}; there is nothing left to hand off.")
    return handoffs.record_handoff(
        wo, to_user=to_user, to_team=to_team, actor=actor, done_so_far=done_so_far, next_step=next_step,
        open_questions=open_questions, links=links,
    )



# On-site execution lives in execution.py; re-exported so services stay the one entry point.
from .execution import check_in, check_out, check_out_not_completed, close, policy_of, verify  # noqa: E402,F401
