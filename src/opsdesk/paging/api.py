"""Paging API (thin edges): escalation policies, an incident's escalation, your contact methods,
notification rules and quiet hours."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_scope, require_write
from opsdesk.core.errors import PermissionDenied
from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import contacts, policies, queries, services
from .models import ContactMethod, EscalationPolicy, NotificationRule, PagingProfile
from .schemas import (
    ContactMethodIn,
    ContactMethodOut,
    EscalationOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    ProfileIn,
    ProfileOut,
    RuleIn,
    RuleOut,
)

router = Router(tags=["Paging"])
TAG = ["paging"]
PERMISSION = "integrations.write"
PERSON = Query(None, description="Administrators: another person's settings (user id).")


def _staff(request: HttpRequest) -> None:
    if getattr(request.user, "is_client_user", False):
        raise PermissionDenied("Paging is for staff.")


@router.get("/escalation-policies", response=list[PolicyOut], tags=TAG)
@paginate(Page)
def list_policies(request: HttpRequest) -> QuerySet[EscalationPolicy]:
    """Escalation policies (staff only) with their steps."""
    return queries.list_policies(request.user)


@router.post("/escalation-policies", response={201: PolicyOut}, tags=TAG)
def create_policy(request: HttpRequest, payload: PolicyIn) -> Status[EscalationPolicy]:
    """Add an escalation policy: ordered steps, repeat, severity rules, what it attaches to."""
    require_write(request, PERMISSION)
    policy = policies.create_policy(payload.dict(), actor=signed_in(request.user))
    return Status(201, queries.get_policy(request.user, policy.pk))


@router.get("/escalation-policies/{int:policy_id}", response=PolicyOut, tags=TAG)
def get_policy(request: HttpRequest, policy_id: Id) -> EscalationPolicy:
    """One escalation policy with its steps."""
    return queries.get_policy(request.user, policy_id)


@router.patch("/escalation-policies/{int:policy_id}", response=PolicyOut, tags=TAG)
def update_policy(request: HttpRequest, policy_id: Id, payload: PolicyPatch) -> EscalationPolicy:
    """Change a policy (steps, when given, replace the old ones)."""
    policy = queries.get_policy(request.user, policy_id)
    require_write(request, PERMISSION)
    policies.update_policy(policy, payload.dict(exclude_unset=True), actor=signed_in(request.user))
    return queries.get_policy(request.user, policy_id)


@router.delete("/escalation-policies/{int:policy_id}", response={204: None}, tags=TAG)
def delete_policy(request: HttpRequest, policy_id: Id) -> Status[None]:
    """Remove a policy (escalations it started stop advancing)."""
    policy = queries.get_policy(request.user, policy_id)
    require_write(request, PERMISSION)
    policies.delete_policy(policy, actor=signed_in(request.user))
    return Status(204, None)


@router.get("/incidents/{int:incident_id}/escalation", response=EscalationOut, tags=TAG)
@answers(403)
def get_escalation(request: HttpRequest, incident_id: Id) -> dict[str, Any]:
    """The escalation of an incident: the steps taken and due, with each notification."""
    incident = queries.get_incident(request.user, incident_id)
    _staff(request)
    return queries.escalation_status(request.user, incident)


@router.post("/incidents/{int:incident_id}/escalation/escalate", response=EscalationOut, tags=TAG)
@answers(409)
def escalate(request: HttpRequest, incident_id: Id) -> dict[str, Any]:
    """Run the next step now (409 when the escalation is not active)."""
    incident = queries.get_incident(request.user, incident_id)
    _staff(request)
    require_scope(request, "write")
    services.escalate_now(incident, actor=signed_in(request.user))
    return queries.escalation_status(request.user, incident)


@router.post("/incidents/{int:incident_id}/escalation/acknowledge", response=EscalationOut, tags=TAG)
@answers(409)
def acknowledge(request: HttpRequest, incident_id: Id) -> dict[str, Any]:
    """Acknowledge the incident: its escalation stops and pending notifications are cancelled."""
    incident = queries.get_incident(request.user, incident_id)
    _staff(request)
    require_scope(request, "write")
    services.acknowledge(incident, actor=signed_in(request.user), reason="acknowledged through the API")
    return queries.escalation_status(request.user, incident)


@router.get("/paging/contact-methods", response=list[ContactMethodOut], tags=TAG)
@answers(403, 404)
@paginate(Page)
def list_contact_methods(request: HttpRequest, person: Id | None = PERSON) -> QuerySet[ContactMethod]:
    """Your contact methods (administrators: ?person=)."""
    _staff(request)
    return queries.list_contact_methods(queries.person_for(request.user, person))


@router.post("/paging/contact-methods", response={201: ContactMethodOut}, tags=TAG)
@answers(403, 404)
def add_contact_method(request: HttpRequest, payload: ContactMethodIn, person: Id | None = PERSON) -> Status[ContactMethod]:
    """Add a contact method: email (blank address = your account's), chat or webhook (a channels endpoint)."""
    _staff(request)
    require_scope(request, "write")
    return Status(201, contacts.add_contact_method(queries.person_for(request.user, person), payload.dict()))


@router.delete("/paging/contact-methods/{int:method_id}", response={204: None}, tags=TAG)
@answers(403, 404)
def remove_contact_method(request: HttpRequest, method_id: Id, person: Id | None = PERSON) -> Status[None]:
    """Remove one of your contact methods (with its rules)."""
    method = queries.get_contact_method(queries.person_for(request.user, person), method_id)
    require_scope(request, "write")
    contacts.remove_contact_method(method)
    return Status(204, None)


@router.get("/paging/notification-rules", response=list[RuleOut], tags=TAG)
@answers(403, 404)
@paginate(Page)
def list_rules(request: HttpRequest, person: Id | None = PERSON) -> QuerySet[NotificationRule]:
    """Your notification rules: which method, how long after a page starts, per urgency."""
    _staff(request)
    return queries.list_rules(queries.person_for(request.user, person))


@router.post("/paging/notification-rules", response={201: RuleOut}, tags=TAG)
@answers(403, 404)
def add_rule(request: HttpRequest, payload: RuleIn, person: Id | None = PERSON) -> Status[NotificationRule]:
    """Add a rule ("high: chat at once, email after 2 min")."""
    _staff(request)
    require_scope(request, "write")
    return Status(201, contacts.add_rule(queries.person_for(request.user, person), payload.dict()))


@router.delete("/paging/notification-rules/{int:rule_id}", response={204: None}, tags=TAG)
@answers(403, 404)
def remove_rule(request: HttpRequest, rule_id: Id, person: Id | None = PERSON) -> Status[None]:
    """Remove one of your notification rules."""
    rule = queries.get_rule(queries.person_for(request.user, person), rule_id)
    require_scope(request, "write")
    contacts.remove_rule(rule)
    return Status(204, None)


@router.get("/paging/profile", response=ProfileOut, tags=TAG)
@answers(403, 404)
def get_profile(request: HttpRequest, person: Id | None = PERSON) -> PagingProfile:
    """Your time zone and quiet hours (honoured for low urgency only)."""
    _staff(request)
    return queries.get_profile(queries.person_for(request.user, person))


@router.put("/paging/profile", response=ProfileOut, tags=TAG)
@answers(403, 404)
def set_profile(request: HttpRequest, payload: ProfileIn, person: Id | None = PERSON) -> PagingProfile:
    """Set your time zone and quiet hours (both ends, or neither)."""
    _staff(request)
    require_scope(request, "write")
    return contacts.set_profile(queries.person_for(request.user, person), payload.dict(exclude_unset=True))
