"""Inbound mail API (thin edges): staff read the messages received and retry a failed one."""

from typing import Any, Literal, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.accounts.models import User
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import queries, services
from .models import InboundMessage
from .schemas import InboundMessageBrief, InboundMessageOut

router = Router(tags=["Inbound mail"])
WRITE = "workorders.write"  # who may retry: those who work the desk's queue
Outcome = Literal["new_request", "needs_triage", "comment", "acknowledged", "update_request", "ignored_auto",
                  "unknown_sender"]
State = Literal["received", "processed", "failed"]


@router.get("/inbound/messages", response=list[InboundMessageBrief])
@paginate(Page)
def list_messages(
    request: HttpRequest,
    outcome: Outcome | None = Query(None, description="only messages with this outcome"),
    state: State | None = Query(None, description="received (not processed yet), processed or failed"),
) -> QuerySet[InboundMessage]:
    """Messages received by `opsdesk mail` (staff only), newest first, with what each became."""
    return queries.list_messages(request.user, outcome=outcome, state=state)


@router.get("/inbound/messages/{int:message_id}", response=InboundMessageOut)
def get_message(request: HttpRequest, message_id: Id) -> dict[str, Any]:
    """One message: envelope, headers, text, attachments, outcome and what it became (with a link)."""
    return queries.describe(queries.get_message(request.user, message_id))


@router.post("/inbound/messages/{int:message_id}/retry", response=InboundMessageOut)
@answers(409)
def retry_message(request: HttpRequest, message_id: Id) -> dict[str, Any]:
    """Process a failed (or still pending) message again; 409 if it already has its outcome."""
    message = queries.get_message(request.user, message_id)
    require_write(request, WRITE)
    actor = cast(User, request.user)
    return queries.describe(services.retry(message, actor=actor))
