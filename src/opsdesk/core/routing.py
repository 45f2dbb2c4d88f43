"""Helpers that API routers share."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from . import timeline
from .api import answers, require_write
from .models import Activity
from .pagination import ReaderPage
from .schemas import ActivityOut, Id


def add_timeline(
    router: Router, collection: str, getter: Callable[[Any, int], Any], noun: str, tag: str,
    reader: Callable[[Any, Any], Any] | None = None,
) -> None:
    """Add `GET /{collection}/{id}/timeline`: the object's activity, oldest first (`reader(entries,
    user)`: how a reader may read a page of them, e.g. a client user on a shared object)."""

    @router.get(f"/{collection}/{{int:obj_id}}/timeline", response=list[ActivityOut], tags=[tag],
                operation_id=f"{collection.replace('-', '_')}_timeline",
                summary=f"Timeline of a {noun}")
    @paginate(ReaderPage, reader=reader)
    def object_timeline(request: HttpRequest, obj_id: Id) -> QuerySet[Activity]:
        obj = getter(request.user, obj_id)
        return timeline.for_reader(obj, request.user)


@dataclass(frozen=True)
class ObjectRoutes:
    """How one collection's objects are read, changed and removed (tenancy lives in `get`)."""

    collection: str
    noun: str
    tag: str
    permission: str
    out: Any  # a schema, or an Annotated union of schemas (full and brief shapes)
    get: Callable[[Any, int], Any]
    patch: type | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., None] | None = None
    # How the object is answered, when `out` is built from something other than the instance.
    present: Callable[[Any], Any] | None = None
    # How one reader may read the object (a client user: their own part of a shared object).
    reader: Callable[[Any, Any], Any] | None = None
    # How a reader may read a page of the object's timeline entries (entries, user) -> entries.
    timeline_reader: Callable[[Any, Any], Any] | None = None
    # How the object is answered to this viewer (user, obj), e.g. a brief shape for client users.
    present_to: Callable[[Any, Any], Any] | None = None


def add_object_routes(router: Router, spec: ObjectRoutes) -> None:
    """Add GET, PATCH and DELETE `/{collection}/{id}` and its timeline, all through `spec`.

    PATCH answers the object as `get` reads it again, so prefetched relations are fresh.
    An object the caller may not see is 404 before any permission check, so nothing leaks.
    """
    path = f"/{spec.collection}/{{int:obj_id}}"
    name = spec.collection.replace("-", "_")
    present = spec.present or (lambda obj: obj)
    read = spec.reader or (lambda obj, user: obj)
    present_to = spec.present_to or (lambda user, obj: present(obj))

    @router.get(path, response=spec.out, tags=[spec.tag], operation_id=f"get_{name}", summary=f"One {spec.noun}")
    def get_one(request: HttpRequest, obj_id: Id) -> object:
        # Whatever present_to answers for this collection; Ninja validates it against spec.out.
        return present_to(request.user, read(spec.get(request.user, obj_id), request.user))

    if spec.patch is not None and spec.update is not None:
        update = spec.update

        @router.patch(path, response=spec.out, tags=[spec.tag], operation_id=f"update_{name}",
                      summary=f"Change a {spec.noun}")
        @answers(409)  # a state that refuses the change, a uniqueness race, a cycle
        def update_one(request: HttpRequest, obj_id: Id, payload: spec.patch) -> object:  # type: ignore[name-defined]
            obj = spec.get(request.user, obj_id)
            require_write(request, spec.permission)
            update(obj, payload.dict(exclude_unset=True), actor=request.user)
            return present_to(request.user, read(spec.get(request.user, obj_id), request.user))

    if spec.delete is not None:
        delete = spec.delete

        @router.delete(path, response={204: None}, tags=[spec.tag], operation_id=f"delete_{name}",
                       summary=f"Remove a {spec.noun}")
        @answers(409)  # still referred to by other objects
        def delete_one(request: HttpRequest, obj_id: Id) -> Status[None]:
            obj = spec.get(request.user, obj_id)
            require_write(request, spec.permission)
            delete(obj, actor=request.user)
            return Status(204, None)

    add_timeline(router, spec.collection, spec.get, spec.noun, spec.tag, spec.timeline_reader)
