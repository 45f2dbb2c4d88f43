"""Endpoints of the kernel: the caller's inbox, the audit log."""

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.params.functions import Query

from . import audit, notify
from .api import answers, require_scope
from .models import AuditEvent, Notification
from .pagination import Page
from .schemas import AuditEventOut, CountOut, MarkReadIn, NotificationOut

router = Router(tags=["notifications"])



@router.get("/notifications", response=list[NotificationOut])
@paginate(Page)
def list_notifications(request: HttpRequest, unread: bool | None = None) -> QuerySet[Notification]:
    """The caller's inbox, newest first."""
    return notify.list_for(request.user, unread=unread)


@router.post("/notifications/read", response=CountOut)
def mark_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Mark the caller's notifications read."""
    require_scope(request, "write")
    return {"count": notify.mark_read(request.user, payload.ids)}


@router.get("/audit-events", response=list[AuditEventOut], tags=["audit"])
@answers(404)
@paginate(Page)
def list_audit_events(
    request: HttpRequest,
    action: str | None = Query(None, max_length=40, description="An action (auth.login), or a family ending in '.' (auth.)"),
    actor: str | None = Query(None, max_length=150, description="Username of who did it"),
    since: dt.datetime | None = Query(None, description="From this instant (inclusive)"),
    until: dt.datetime | None = Query(None, description="Before this instant"),
) -> QuerySet[AuditEvent]:
    """The audit log, newest first (administrators only; others get 404)."""
    return audit.list_events(request.user, action=action, actor=actor, since=since, until=until)
