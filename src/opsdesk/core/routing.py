"""Helpers that API routers share."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from . import timeline
from .pagination import Page
from .schemas import ActivityOut, Id


def add_timeline(router: Router, collection: str, getter: Callable[[Any, int], Any], tag: str) -> None:
    """Add `GET /{collection}/{id}/timeline`: the object's activity, oldest first."""

    @router.get(f"/{collection}/{{int:obj_id}}/timeline", response=list[ActivityOut], tags=[tag],
                operation_id=f"{collection.replace('-', '_')}_timeline",
                summary=f"Timeline of one of {collection}")
    @paginate(Page)
    def object_timeline(request: HttpRequest, obj_id: Id):  # type: ignore[no-untyped-def]
        obj = getter(request.user, obj_id)
        client_only = getattr(request.user, "is_client_user", False)
        return timeline.for_object(obj, client_visible_only=client_only)
