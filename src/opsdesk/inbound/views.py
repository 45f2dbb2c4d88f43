"""Inbound mail pages (staff only): the messages received and what each became; one message with
its headers, text (escaped by the templates), attachments and a retry button."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsdesk.core.views import page_view, paginate, run_action, staff_page

from . import queries, services
from .api import WRITE
from .models import InboundMessage


@require_GET
@staff_page
def message_list(request: HttpRequest) -> HttpResponse:
    """The messages, newest first, filtered by outcome."""
    outcome = request.GET.get("outcome", "").strip()
    outcome = outcome if outcome in InboundMessage.Outcome.values else ""
    page = paginate(request, queries.list_messages(request.user, outcome=outcome or None), per_page=50)
    return render(request, "inbound/list.html", {
        "page": page, "outcome": outcome, "outcomes": InboundMessage.Outcome.choices,
    })


@require_GET
@staff_page
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message: envelope, headers, text, attachments, outcome, and the retry button."""
    message = queries.get_message(request.user, message_id)
    user: Any = request.user
    return render(request, "inbound/detail.html", {
        "message": message, "view": queries.describe(message),
        "can_retry": message.state != InboundMessage.State.PROCESSED and user.has_perm_code(WRITE),
    })


@require_POST
@staff_page
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    """Process the message again (a failed one)."""
    message = queries.get_message(request.user, message_id)
    user: Any = request.user
    if not user.has_perm_code(WRITE):
        raise PermissionDenied("Your role may not retry inbound mail.")
    run_action(request, lambda: services.retry(message, actor=user), "Processed again.")
    return HttpResponseRedirect(reverse("inbound:detail", args=[message.pk]))


@require_GET
@page_view
def attachment(request: HttpRequest, message_id: int, attachment_id: int) -> HttpResponse:
    """Download an attachment (staff; a client user only of a message that became their work)."""
    found = queries.get_attachment(request.user, message_id, attachment_id)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # a streaming response, served as any page's
