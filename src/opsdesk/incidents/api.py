"""Incidents API (thin edges): list, declare, read, edit, transitions, owner, roles, updates, notes, change link."""

from typing import TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.changes import queries as change_queries
from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.errors import field_error
from opsdesk.core.pagination import Page, ReaderPage
from opsdesk.core.routing import add_timeline
from opsdesk.core.schemas import Id
from opsdesk.services import readers

from . import client_view, queries, roles, services, updates
from .client_view import IncidentForReader
from .models import Incident, IncidentRole, IncidentUpdate
from .schemas import (
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    LinkChangeIn,
    NoteIn,
    OwnerIn,
    RoleAckIn,
    RoleIn,
    RoleOut,
    TransitionIn,
    UpdateIn,
    UpdateOut,
)

router = Router()
TAG = ["incidents"]


def _present(request: HttpRequest, incident: Incident) -> Incident | IncidentForReader:
    """The incident as this viewer may see it: client users are not shown internal analysis
    (what changed may name other clients' work) nor who holds which role (IncidentOut reads the flag)."""
    if getattr(request.user, "is_client_user", False):
        return client_view.for_reader(incident, request.user)
    return incident


T = TypeVar("T")


def _required(value: T | None, field: str, what: str) -> T:
    if value in (None, ""):
        raise field_error(field, f"{what} is required")
    return value


@router.get("/incidents", response=list[IncidentOut], tags=TAG)
@paginate(Page)
def list_incidents(
    request: HttpRequest,
    state: str | None = Query(None, max_length=200, description="One state or several, comma-separated"),
    severity: str | None = Query(None, max_length=40, description="sev1..sev4, comma-separated"),
    service: Id | None = None,
    site: Id | None = None,
    client: Id | None = None,
    owner: Id | None = None,
    open: bool | None = None,
) -> list[Incident | IncidentForReader] | QuerySet[Incident]:
    """Incidents you may see (client users: those impacting their organisation), newest first."""
    qs = queries.list_incidents(request.user, state=state, severity=severity, service=service, site=site,
                                client=client, owner=owner, open=open)
    return client_view.for_readers(qs, request.user) if getattr(request.user, "is_client_user", False) else qs


@router.post("/incidents", response={201: IncidentOut}, tags=TAG)
def declare(request: HttpRequest, payload: IncidentIn) -> Status[Incident | IncidentForReader]:
    """Declare an incident by hand (alerts open them on their own)."""
    require_write(request, "incidents.write")
    incident = services.declare_incident(payload.dict(), actor=signed_in(request.user))
    return Status(201, _present(request, queries.get_incident(request.user, incident.pk)))


@router.get("/incidents/{int:incident_id}", response=IncidentOut, tags=TAG)
def get_incident(request: HttpRequest, incident_id: Id) -> Incident | IncidentForReader:
    """One incident: state, owner and roles, impact, what changed, metrics, next update due."""
    return _present(request, queries.get_incident(request.user, incident_id))


@router.patch("/incidents/{int:incident_id}", response=IncidentOut, tags=TAG)
def update_incident(request: HttpRequest, incident_id: Id, payload: IncidentPatch) -> Incident | IncidentForReader:
    """Change title, summary, severity, services or sites (impact and what changed are recomputed)."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    services.update_incident(incident, payload.dict(exclude_unset=True), actor=signed_in(request.user))
    return _present(request, queries.get_incident(request.user, incident_id))


@router.post("/incidents/{int:incident_id}/transitions", response=IncidentOut, tags=TAG)
@answers(409)
def transition(request: HttpRequest, incident_id: Id, payload: TransitionIn) -> Incident | IncidentForReader:
    """Move to another state; an invalid move is 409 with the allowed states."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    services.transition_incident(incident, _required(payload.to, "to", "the state to move to"), actor=signed_in(request.user),
                                 reason=payload.reason)
    return _present(request, queries.get_incident(request.user, incident_id))


@router.post("/incidents/{int:incident_id}/owner", response=IncidentOut, tags=TAG)
def set_owner(request: HttpRequest, incident_id: Id, payload: OwnerIn) -> Incident | IncidentForReader:
    """Hand the incident to another owner."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    services.set_owner(incident, _required(payload.owner, "owner", "the new owner's user id"), actor=signed_in(request.user),
                       note=payload.note)
    return _present(request, queries.get_incident(request.user, incident_id))


@router.post("/incidents/{int:incident_id}/roles", response=RoleOut, tags=TAG)
def assign_role(request: HttpRequest, incident_id: Id, payload: RoleIn) -> IncidentRole:
    """Give a role (commander, communications, operations) to a person: a handoff they acknowledge."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    role = _required(payload.role, "role", "commander, communications or operations")
    return roles.assign_role(incident, role, _required(payload.user, "user", "who gets the role"), actor=signed_in(request.user),
                             note=payload.note)


@router.post("/incidents/{int:incident_id}/roles/acknowledge", response=RoleOut, tags=TAG)
@answers(409)
def acknowledge_role(request: HttpRequest, incident_id: Id, payload: RoleAckIn) -> IncidentRole:
    """Acknowledge a role you were given."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    return roles.acknowledge_role(incident, _required(payload.role, "role", "the role to acknowledge"), actor=signed_in(request.user))


@router.get("/incidents/{int:incident_id}/updates", response=list[UpdateOut], tags=TAG)
@paginate(ReaderPage, reader=client_view.updates)
def list_updates(
    request: HttpRequest, incident_id: Id, audience: str | None = Query(None, max_length=20),
) -> QuerySet[IncidentUpdate]:
    """Status updates, newest first (client users: client and end-user updates only)."""
    incident = queries.get_incident(request.user, incident_id)
    return queries.list_updates(request.user, incident, audience=audience)


@router.post("/incidents/{int:incident_id}/updates", response={201: UpdateOut}, tags=TAG)
def post_update(request: HttpRequest, incident_id: Id, payload: UpdateIn) -> Status[IncidentUpdate]:
    """Post a status update for responders, client stakeholders or end users."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    return Status(201, updates.post_update(incident, payload.dict(), actor=signed_in(request.user)))


@router.post("/incidents/{int:incident_id}/notes", response={201: None}, tags=TAG)
def add_note(request: HttpRequest, incident_id: Id, payload: NoteIn) -> Status[None]:
    """Add a responder's note to the timeline."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    services.add_note(incident, _required(payload.text, "text", "the note"), actor=signed_in(request.user))
    return Status(201, None)


@router.post("/incidents/{int:incident_id}/change", response=IncidentOut, tags=TAG)
@answers(404, 409)
def link_change(request: HttpRequest, incident_id: Id, payload: LinkChangeIn) -> Incident | IncidentForReader:
    """Link the change that caused the incident (its review and the change failure rate count it)."""
    incident = queries.get_incident(request.user, incident_id)
    require_write(request, "incidents.write")
    change = change_queries.get_change(request.user, _required(payload.change, "change", "the change's id"))
    services.link_change(incident, change, actor=signed_in(request.user))
    return _present(request, queries.get_incident(request.user, incident_id))


add_timeline(router, "incidents", queries.get_incident, "incident", "incidents", readers.timeline)
