"""The change-event intake on the main web port (`opsdesk serve`): plain Django views over
alerts.change_events.deliveries (the lean `opsdesk intake` serves the same paths). Senders
authenticate with the integration key, so these views are CSRF-exempt and take no session."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from opsdesk.core import clock

from ..intake import answers
from ..intake.answers import EVENTS_V2
from ..intake.views import http_response, read_body
from . import deliveries


def _deliver(request: HttpRequest, dialect: str, key: str | None) -> HttpResponse:
    kind = EVENTS_V2 if dialect == deliveries.PAGERDUTY else deliveries.GENERIC
    if request.method != "POST":
        response = http_response(answers.method_not_allowed())
        response["Allow"] = "POST"
        return response
    body = read_body(request)
    if body is None:
        return http_response(answers.too_large(kind))
    return http_response(deliveries.deliver(dialect, key, body, request.headers.get, clock.now()))


@csrf_exempt
def pagerduty(request: HttpRequest) -> HttpResponse:
    """PagerDuty Change Events: POST /v2/change/enqueue."""
    return _deliver(request, deliveries.PAGERDUTY, None)


@csrf_exempt
def generic(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """Generic change events: POST /api/v1/integrations/change-events[/{key}]."""
    return _deliver(request, deliveries.GENERIC, key)


# Before the API's patterns (it owns api/v1/): see opsdesk.urls.
urlpatterns = [
    path("v2/change/enqueue", pagerduty),
    re_path(r"^api/v1/integrations/change-events/(?P<key>[^/]+)$", generic),
    re_path(r"^api/v1/integrations/change-events$", generic),
]
