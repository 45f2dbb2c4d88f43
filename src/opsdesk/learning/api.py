"""Postmortems, action items and problems API (thin edges): list, start, read, edit, transitions, links."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.errors import field_error
from opsdesk.core.models import Activity
from opsdesk.core.pagination import ReaderPage
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import ActivityOut, Id
from opsdesk.services import readers

from . import client_view, queries, services
from .client_view import Shown
from .models import ActionItem, Postmortem, Problem
from .schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    LinkIn,
    PostmortemOut,
    PostmortemPatch,
    PostmortemStartIn,
    ProblemOut,
    ProblemPatch,
    TransitionIn,
)

router = Router()
PERMISSION = "incidents.write"
PM_TAG = ["postmortems"]
PRB_TAG = ["problems"]
# Operation ids as clients know them: Ninja made them from the module's path before the learning loop
# became an app of its own (opsdesk.incidents.learning_api); kept so generated clients do not change.
OP = "opsdesk_incidents_learning_api_"


# -- postmortems -----------------------------------------------------------------------------------


@router.get("/postmortems", response=list[PostmortemOut], tags=PM_TAG, operation_id=f"{OP}list_postmortems")
@paginate(ReaderPage, reader=client_view.postmortems_for_readers)
def list_postmortems(
    request: HttpRequest,
    incident: Id | None = None,
    state: str | None = Query(None, max_length=100, description="One state or several, comma-separated"),
    owner: Id | None = None,
) -> QuerySet[Postmortem]:
    """Postmortems you may read (client users: published ones of their incidents), newest first."""
    return queries.list_postmortems(request.user, incident=incident, state=state, owner=owner)


@router.post("/postmortems", response={200: PostmortemOut, 201: PostmortemOut}, tags=PM_TAG,
             operation_id=f"{OP}start_postmortem")
@answers(409)
def start_postmortem(request: HttpRequest, payload: PostmortemStartIn) -> Status[Postmortem]:
    """Start the postmortem of a resolved or closed incident, drafted from its timeline (201);
    the existing one if it was started before (200)."""
    require_write(request, PERMISSION)
    incident = queries.incident_in_body(request.user, payload.incident)
    pm, created = services.start_postmortem(incident, signed_in(request.user), owner=payload.owner)
    return Status(201 if created else 200, queries.get_postmortem(request.user, pm.pk))


@router.get("/postmortems/{int:postmortem_id}", response=PostmortemOut, tags=PM_TAG, operation_id="get_postmortem")
def get_postmortem(request: HttpRequest, postmortem_id: Id) -> Postmortem | Shown:
    """One postmortem with its action items."""
    return client_view.postmortem_for_reader(queries.get_postmortem(request.user, postmortem_id), request.user)


@router.patch("/postmortems/{int:postmortem_id}", response=PostmortemOut, tags=PM_TAG,
              operation_id="update_postmortem")
@answers(409)
def update_postmortem(request: HttpRequest, postmortem_id: Id, payload: PostmortemPatch) -> Postmortem:
    """Edit the sections or the owner of a draft or in-review postmortem."""
    pm = queries.get_postmortem(request.user, postmortem_id)
    require_write(request, PERMISSION)
    services.update_postmortem(pm, payload.dict(exclude_unset=True), signed_in(request.user))
    return queries.get_postmortem(request.user, postmortem_id)


@router.post("/postmortems/{int:postmortem_id}/transitions", response=PostmortemOut, tags=PM_TAG,
             operation_id=f"{OP}transition_postmortem")
@answers(409)
def transition_postmortem(request: HttpRequest, postmortem_id: Id, payload: TransitionIn) -> Postmortem:
    """Move the postmortem: draft → in_review → published (published → draft to correct it); 409 with the reason."""
    pm = queries.get_postmortem(request.user, postmortem_id)
    require_write(request, PERMISSION)
    if not payload.to:
        raise field_error("to", "the state to move to is required")
    services.transition_postmortem(pm, payload.to, signed_in(request.user), reason=payload.reason)
    return queries.get_postmortem(request.user, postmortem_id)


@router.get("/postmortems/{int:postmortem_id}/timeline", response=list[ActivityOut], tags=PM_TAG,
            operation_id="postmortems_timeline", summary="Timeline of a postmortem")
@paginate(ReaderPage, reader=readers.timeline)
def postmortem_timeline(request: HttpRequest, postmortem_id: Id) -> QuerySet[Activity]:
    """The postmortem's history, as recorded on its incident's timeline, oldest first."""
    return queries.postmortem_activity(queries.get_postmortem(request.user, postmortem_id), request.user)


@router.get("/postmortems/{int:postmortem_id}/actions", response=list[ActionOut], tags=PM_TAG,
            operation_id=f"{OP}list_postmortem_actions")
@paginate(ReaderPage, reader=client_view.actions_for_readers)
def list_postmortem_actions(request: HttpRequest, postmortem_id: Id) -> QuerySet[ActionItem]:
    """The postmortem's action items, soonest due first."""
    pm = queries.get_postmortem(request.user, postmortem_id)
    return queries.list_actions(request.user, today=clock.today_utc(), postmortem=pm.pk)


@router.post("/postmortems/{int:postmortem_id}/actions", response={201: ActionOut}, tags=PM_TAG,
             operation_id=f"{OP}add_action")
def add_action(request: HttpRequest, postmortem_id: Id, payload: ActionIn) -> Status[ActionItem]:
    """Add an action item (title, owner, due_on); its owner is notified."""
    pm = queries.get_postmortem(request.user, postmortem_id)
    require_write(request, PERMISSION)
    action = services.add_action(pm, payload.title, payload.owner, payload.due_on, signed_in(request.user))
    return Status(201, queries.get_action(request.user, action.pk))


# -- action items ----------------------------------------------------------------------------------


@router.get("/actions", response=list[ActionOut], tags=PM_TAG, operation_id=f"{OP}list_actions")
@paginate(ReaderPage, reader=client_view.actions_for_readers)
def list_actions(
    request: HttpRequest,
    overdue: bool | None = Query(None, description="true: open past their due day (UTC); false: the others"),
    state: str | None = Query(None, max_length=100, description="One state or several, comma-separated"),
    owner: Id | None = None,
    postmortem: Id | None = None,
) -> QuerySet[ActionItem]:
    """Action items of the postmortems you may read, soonest due first."""
    return queries.list_actions(
        request.user, today=clock.today_utc(), overdue=overdue, state=state, owner=owner, postmortem=postmortem
    )


@router.get("/actions/{int:action_id}", response=ActionOut, tags=PM_TAG, operation_id="get_action")
def get_action(request: HttpRequest, action_id: Id) -> ActionItem | Shown:
    """One action item."""
    return client_view.action_for_reader(queries.get_action(request.user, action_id), request.user)


@router.patch("/actions/{int:action_id}", response=ActionOut, tags=PM_TAG, operation_id="update_action")
@answers(409)
def update_action(request: HttpRequest, action_id: Id, payload: ActionPatch) -> ActionItem:
    """Change an action item: title, owner, due day, or state (done stamps done_at)."""
    action = queries.get_action(request.user, action_id)
    require_write(request, PERMISSION)
    services.update_action(action, payload.dict(exclude_unset=True), signed_in(request.user))
    return queries.get_action(request.user, action_id)


# -- problems --------------------------------------------------------------------------------------


@router.get("/problems", response=list[ProblemOut], tags=PRB_TAG, operation_id=f"{OP}list_problems")
@paginate(ReaderPage, reader=client_view.problems_for_readers)
def list_problems(
    request: HttpRequest,
    state: str | None = Query(None, max_length=100, description="One state or several, comma-separated"),
    service: Id | None = None,
    q: str | None = Query(None, max_length=200, description="Words of the title or signature"),
) -> QuerySet[Problem]:
    """Problems you may read (client users: accepted ones touching their organisation), newest first."""
    return queries.list_problems(request.user, state=state, service=service, q=q)


@router.post("/problems/{int:problem_id}/incidents", response=ProblemOut, tags=PRB_TAG,
             operation_id=f"{OP}link_incident")
@answers(409)
def link_incident(request: HttpRequest, problem_id: Id, payload: LinkIn) -> Problem:
    """Make an incident part of the problem (one already part of another problem is 409)."""
    problem = queries.get_problem(request.user, problem_id)
    require_write(request, PERMISSION)
    if payload.incident is None:
        raise field_error("incident", "the incident to link is required")
    incident = queries.incident_in_body(request.user, payload.incident)
    services.link_incident(problem, incident, signed_in(request.user))
    return queries.get_problem(request.user, problem_id)


add_object_routes(router, ObjectRoutes(
    collection="problems", noun="problem", tag="problems", permission=PERMISSION,
    out=ProblemOut, get=queries.get_problem, patch=ProblemPatch, update=services.update_problem,
    reader=client_view.problem_for_reader, timeline_reader=readers.timeline,
))
