"""A change as one reader may read it: a client user sees only their own part of a shared change.

The one place that reduces a change for a client user (the page, the API answers, the calendar
and its iCalendar feed go through it): only the sites and services they may open, only their own
client, only the decisions of staff and of their own client's approvers, collisions with work they
may not see as "other planned work", and every sentence (title, plans, risk explanations,
approvals still missing, window violations) with other clients' names replaced
(services.readers). Staff read the change as it is. The view is for reading only: services
always receive the change itself.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opsdesk.core.tenancy import Redactor, ReducedRows, is_client_reader, visible_ids, visible_refs
from opsdesk.services.models import Service
from opsdesk.services.readers import redactor_for
from opsdesk.sites.models import Site

from .approvals import Status
from .models import ChangeRequest
from .risk import collisions_detail
from .windows.rules import WindowViolation

if TYPE_CHECKING:  # queries imports this module
    from .queries import Collision

OTHER_WORK = "Other planned work"
TEXT_FIELDS = ("title", "description", "implementation_plan", "verification_plan", "lessons")



class ChangeForReader:
    """A change reduced to one client's part (reads delegate to the change)."""

    def __init__(self, change: ChangeRequest, *, client_id: int | None, site_ids: set[int], service_ids: set[int],
                 refs: set[str], redactor: Redactor) -> None:
        self._change = change
        self.services = ReducedRows([s for s in change.services.all() if s.pk in service_ids])
        self.sites = ReducedRows([s for s in change.sites.all() if s.pk in site_ids])
        self.clients = ReducedRows([c for c in change.clients.all() if c.pk == client_id])
        self.approvals = ReducedRows([
            _redacted_approval(a, redactor) for a in change.approvals.all()
            if a.approver.client_id is None or a.approver.client_id == client_id
        ])
        for name in TEXT_FIELDS:
            setattr(self, name, redactor.text(getattr(change, name)))
        self.rollback_plan = redactor.data(change.rollback_plan)
        self.risk = _risk(change.risk or {}, refs, redactor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._change, name)

    def __str__(self) -> str:
        return f"CHG-{self._change.pk} {self.title}"


def _redacted_approval(approval: Any, redactor: Redactor) -> Any:
    shown = copy.copy(approval)
    shown.comment = redactor.text(approval.comment)
    return shown


def for_readers(changes: Iterable[ChangeRequest], user: Any) -> list[ChangeRequest | ChangeForReader]:
    """The changes as `user` may read them (staff: unchanged), with two queries for the lot."""
    items = list(changes)
    if not is_client_reader(user):
        return list(items)
    site_ids = visible_ids(Site.objects.all(), user, {s.pk for c in items for s in c.sites.all()})
    service_ids = visible_ids(Service.objects.all(), user, {s.pk for c in items for s in c.services.all()})
    refs = visible_refs({ref for c in items for ref in _collision_refs(c.risk or {})}, user)
    redactor = redactor_for(user)
    return [
        ChangeForReader(c, client_id=user.client_id, site_ids=site_ids, service_ids=service_ids, refs=refs,
                        redactor=redactor)
        for c in items
    ]


def _collision_refs(assessment: dict[str, Any]) -> list[str]:
    return [
        part.get("ref") or "" for c in assessment.get("components") or [] if c.get("name") == "collisions"
        for part in c.get("parts") or []
    ]


def _risk(assessment: dict[str, Any], refs: set[str], redactor: Redactor) -> dict[str, Any]:
    """The assessment's explanation for one reader: collisions with work they may not see are
    "other planned work"; every sentence without other clients' names; the points are the change's."""
    components = []
    for component in assessment.get("components") or []:
        shown = {k: v for k, v in component.items() if k != "parts"}
        if component.get("name") == "collisions" and component.get("points"):
            parts = component.get("parts")
            if parts:
                shown["detail"] = collisions_detail([
                    p["text"] if p.get("ref") in refs else OTHER_WORK.lower() for p in parts
                ])
            else:  # assessed before collisions were stored part by part
                shown["detail"] = "Collides with other planned work."
        components.append(redactor.data(shown))
    return {**redactor.data({k: v for k, v in assessment.items() if k != "components"}), "components": components}


def for_reader(change: ChangeRequest, user: Any) -> ChangeRequest | ChangeForReader:
    """One change as `user` may read it."""
    return for_readers([change], user)[0]


def collisions(found: list[Collision], user: Any) -> list[Collision]:
    """Collisions as the reader may read them: work they may not open is "other planned work", unlinked."""
    if not is_client_reader(user):
        return found
    redactor = redactor_for(user)
    visible = visible_refs([c.ref for c in found], user)
    return [
        dataclasses.replace(c, label=redactor.text(c.label), reasons=tuple(redactor.text(r) for r in c.reasons))
        if c.ref in visible else
        dataclasses.replace(c, ref="", label=OTHER_WORK, change_id=None, reasons=tuple(redactor.text(r) for r in c.reasons))
        for c in found
    ]


def violations(found: list[WindowViolation], user: Any) -> list[WindowViolation]:
    """Window and freeze violations at the sites the reader may see, in their words."""
    if not is_client_reader(user):
        return found
    redactor = redactor_for(user)
    sites = visible_ids(Site.objects.all(), user, {v.site_id for v in found})
    return [
        dataclasses.replace(v, rule_name=redactor.text(v.rule_name), detail=redactor.text(v.detail))
        for v in found if v.site_id in sites
    ]


def approval_status(status: Status, user: Any) -> Status:
    """What approvals are required and missing, without other clients' names."""
    if not is_client_reader(user):
        return status
    redactor = redactor_for(user)
    return dataclasses.replace(
        status, required=tuple(redactor.text(s) for s in status.required),
        missing=tuple(redactor.text(s) for s in status.missing),
        blocked_by=tuple(redactor.text(s) for s in status.blocked_by),
    )


def risk(assessment: dict[str, Any], user: Any) -> dict[str, Any]:
    """A risk assessment's explanation as the reader may read it (the points are the change's)."""
    if not is_client_reader(user):
        return assessment
    return _risk(assessment, visible_refs(_collision_refs(assessment), user), redactor_for(user))


def text(value: str, user: Any) -> str:
    """Any sentence about a change, as the reader may read it."""
    return redactor_for(user).text(value) if is_client_reader(user) else value
