"""The alert intake on the main web port (`opsdesk serve`): plain Django views over alerts.intake.deliveries.

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

from .. import keys
from . import answers, deliveries, queries, storage
from . import openapi as _openapi  # noqa: F401  (documents these views and the change-event views)
from .answers import Answer
from .storage import Unavailable


def http_response(answer: Answer) -> HttpResponse:
    """The answer as a Django response (also the change-event views')."""
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.retry_after is not None:
        response["Retry-After"] = str(answer.retry_after)
    return response


def read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over answers.MAX_BODY (never reading beyond the limit)."""
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > answers.MAX_BODY:
            return None
    except ValueError:
        return None
    body = request.read(answers.MAX_BODY + 1)
    return None if len(body) > answers.MAX_BODY else body


def _deliver(request: HttpRequest, kind: str, path_key: str | None) -> HttpResponse:
    """One delivery's answer, counted (opsdesk_alert_intake_requests_total)."""
    response = _answer(request, kind, path_key)
    metrics.count_intake(kind, response.status_code)
    return response


def _answer(request: HttpRequest, kind: str, path_key: str | None) -> HttpResponse:
    """Check, adapt, store and commit one delivery; the answer."""
    if request.method != "POST":
        response = http_response(answers.method_not_allowed())
        response["Allow"] = "POST"
        return response
    body = read_body(request)
    if body is None:
        return http_response(answers.too_large(kind))
    located = deliveries.locate(kind, path_key or deliveries.header_key(request.headers.get), body)
    if isinstance(located, Answer):
        return http_response(located)
    try:
        source = queries.find_source(keys.hash_key(located.key))
        result = deliveries.accept(located, source, body, request.headers.get, clock.now())
        if isinstance(result, Answer):
            return http_response(result)
        if result.row is not None:
            storage.store([result.row])
    except Unavailable as exc:
        return http_response(answers.unavailable(kind, str(exc)))
    except storage.TRANSIENT as exc:  # the integration lookup met a busy or absent database
        return http_response(answers.unavailable(kind, storage.reason(exc)))
    return http_response(result.answer)


@csrf_exempt
def enqueue(request: HttpRequest) -> HttpResponse:
    """PagerDuty Events API v2: POST /v2/enqueue."""
    return _deliver(request, answers.EVENTS_V2, None)


@csrf_exempt
def integration(request: HttpRequest, kind: str, key: str | None = None) -> HttpResponse:
    """Alertmanager, Grafana and generic JSON: POST /api/v1/integrations/{kind}/{key}, or
    /api/v1/integrations/{kind} with the key in a header."""
    return _deliver(request, kind, key)
