"""The alert intake on the main web port (`opsdesk serve`): plain Django views over alerts.intake.

Same paths, checks and answers as the lean server (`opsdesk intake`), one commit per request.
Senders authenticate with the integration key (in the path, in an `Authorization: Bearer` or
`X-Opsdesk-Key` header, or the Events API's routing_key), so these views are CSRF-exempt and take
no session.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from opsdesk.core import clock
from opsdesk.core.metrics import registry as metrics

from . import intake, keys
from .intake import Answer, Unavailable


def _response(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.retry_after is not None:
        response["Retry-After"] = str(answer.retry_after)
    return response


def _body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over intake.MAX_BODY (never reading beyond the limit)."""
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > intake.MAX_BODY:
            return None
    except ValueError:
        return None
    body = request.read(intake.MAX_BODY + 1)
    return None if len(body) > intake.MAX_BODY else body


def _deliver(request: HttpRequest, kind: str, path_key: str | None) -> HttpResponse:
    """One delivery's answer, counted (opsdesk_alert_intake_requests_total)."""
    response = _answer(request, kind, path_key)
    metrics.count_intake(kind, response.status_code)
    return response


def _answer(request: HttpRequest, kind: str, path_key: str | None) -> HttpResponse:
    """Check, adapt, store and commit one delivery; the answer."""
    if request.method != "POST":
        response = _response(intake.method_not_allowed())
        response["Allow"] = "POST"
        return response
    body = _body(request)
    if body is None:
        return _response(intake.too_large(kind))
    located = intake.locate(kind, path_key or intake.header_key(request.headers.get), body)
    if isinstance(located, Answer):
        return _response(located)
    try:
        source = intake.find_source(keys.hash_key(located.key))
        result = intake.accept(located, source, body, request.headers.get, clock.now())
        if isinstance(result, Answer):
            return _response(result)
        if result.row is not None:
            intake.store([result.row])
    except Unavailable as exc:
        return _response(intake.unavailable(kind, str(exc)))
    except intake.TRANSIENT as exc:  # the integration lookup met a busy or absent database
        return _response(intake.unavailable(kind, intake.reason(exc)))
    return _response(result.answer)


@csrf_exempt
def enqueue(request: HttpRequest) -> HttpResponse:
    """PagerDuty Events API v2: POST /v2/enqueue."""
    return _deliver(request, intake.EVENTS_V2, None)


@csrf_exempt
def integration(request: HttpRequest, kind: str, key: str | None = None) -> HttpResponse:
    """Alertmanager, Grafana and generic JSON: POST /api/v1/integrations/{kind}/{key}, or
    /api/v1/integrations/{kind} with the key in a header."""
    return _deliver(request, kind, key)
