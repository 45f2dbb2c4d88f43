"""The change windows and freezes API (thin edges: parse, call one service or query, answer).

Operation ids are spelled out: Ninja derives them from the module path, and these operations
were served from opsdesk.changes.window_api before the windows sub-package existed.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id

from . import queries, services
from .models import ChangeWindow
from .schemas import ChangeWindowIn, ChangeWindowOut, ChangeWindowPatch, WindowKind

router = Router()
TAG = "change windows"
OPERATION_ID = "opsdesk_changes_window_api_{}"


@router.get("/change-windows", response=list[ChangeWindowOut], tags=[TAG],
            operation_id=OPERATION_ID.format("list_change_windows"))
@paginate(Page)
def list_change_windows(
    request: HttpRequest,
    kind: WindowKind | None = None,
    site: Id | None = Query(None, description="Rules scoped to this site"),
    region: Id | None = Query(None, description="Rules scoped to this region"),
    client: Id | None = Query(None, description="Rules scoped to this client"),
    applies_to: Id | None = Query(None, description="Every rule governing this site: its own, its region's, its clients'"),
) -> QuerySet[ChangeWindow]:
    """Windows (change allowed) and freezes (change forbidden); staff only."""
    return queries.list_windows(request.user, kind, site, region, client, applies_to)


@router.post("/change-windows", response={201: ChangeWindowOut}, tags=[TAG],
             operation_id=OPERATION_ID.format("create_change_window"))
@answers(409)
def create_change_window(request: HttpRequest, payload: ChangeWindowIn) -> Status[ChangeWindow]:
    """Add a window or freeze for a site, region or client; times are each site's local time."""
    require_write(request, "change_windows.write")
    window = services.create_window(payload.dict(), actor=signed_in(request.user))
    return Status(201, queries.get_window(request.user, window.pk))


add_object_routes(router, ObjectRoutes(
    collection="change-windows", noun="change window", tag=TAG, permission="change_windows.write",
    out=ChangeWindowOut, get=queries.get_window, patch=ChangeWindowPatch,
    update=services.update_window, delete=services.delete_window,
))
