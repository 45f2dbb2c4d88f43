"""Endpoints of the kernel: the caller's inbox."""

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from . import notify
from .api import require_scope
from .pagination import Page
from .schemas import CountOut, MarkReadIn, NotificationOut

router = Router(tags=["notifications"])


@router.get("/notifications", response=list[NotificationOut])
@paginate(Page)
def list_notifications(request: HttpRequest, unread: bool | None = None):  # type: ignore[no-untyped-def]
    """The caller's inbox, newest first."""
    return notify.list_for(request.user, unread=unread)


@router.post("/notifications/read", response=CountOut)
def mark_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Mark the caller's notifications read."""
    require_scope(request, "write")
    return {"count": notify.mark_read(request.user, payload.ids)}



