"""GET /metrics (Prometheus exposition format) and the middleware that times every request.

Who may scrape: a request from an address in OPSDESK_METRICS_ALLOW (CIDRs; default loopback only;
the address as throttling sees it, so OPSDESK_TRUSTED_PROXIES applies), or one that brings an API
token with the `metrics` scope of a staff user (`Authorization: Bearer`; stored hashed, revocable,
failures throttled like every token). Anything else is 401 (no or an invalid token) or 403 (a token
without the scope), as problem details.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..api import ERROR_DESCRIPTIONS, PROBLEM_JSON, problem
from ..throttle import Throttled, client_address
from . import registry

SCOPE = "metrics"
SERIES_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
MAX_NAMES, MAX_NAME_LENGTH = 50, 200


def address_allowed(address: str | None) -> bool:
    """Whether `address` lies in one of OPSDESK_METRICS_ALLOW's networks (IPv4-mapped IPv6 as IPv4)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.METRICS_ALLOW)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read the metrics, else the problem details answer."""
    if address_allowed(client_address(request)):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized(
            "Metrics are served to the addresses in OPSDESK_METRICS_ALLOW; from elsewhere "
            "send an API token with the 'metrics' scope as 'Authorization: Bearer <token>'."
        )
    try:
        user = authenticate(request, bearer_token=token.strip())
    except Throttled as exc:  # too many failed tokens from this address or with this prefix
        response = problem(exc.status, exc.title, exc.detail)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return _unauthorized(
            "The API token is not valid (unknown, revoked, or of an inactive user)."
        )
    if SCOPE not in getattr(user, "token_scopes", ()):
        return problem(
            403,
            "Forbidden",
            "This API token lacks the 'metrics' scope "
            "(opsdesk token create USERNAME --scope metrics).",
        )
    if user.is_client_user:
        return problem(
            403, "Forbidden", "Metrics are for opsdesk's operators, not for client users."
        )
    return None


def _unauthorized(detail: str) -> HttpResponse:
    response = problem(401, "Unauthorized", detail)
    response["WWW-Authenticate"] = "Bearer"
    return response


@csrf_exempt
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics of every opsdesk process on this machine and the database's gauges."""
    if request.method not in ("GET", "HEAD"):
        response = problem(405, "Method not allowed", "Metrics are read with GET.")
        response["Allow"] = "GET, HEAD"
        return response
    refused = refusal(request)
    if refused is not None:
        return refused
    names = request.GET.getlist("name")
    wrong = [n for n in names if len(n) > MAX_NAME_LENGTH or not re.match(SERIES_NAME, n)]
    if wrong or len(names) > MAX_NAMES:
        message = (
            f"not a series name: {wrong[0][:MAX_NAME_LENGTH]!r}"
            if wrong
            else f"at most {MAX_NAMES} names"
        )
        return problem(
            422,
            "Invalid input",
            f"Some fields are not valid: name ({message}).",
            [{"field": "name", "message": message}],
        )
    answer = HttpResponse(registry.exposition(names or None), content_type=registry.CONTENT_TYPE)
    answer["Cache-Control"] = "no-store"
    return answer


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


OPENAPI_PATH: dict[str, Any] = {
    "get": {
        "operationId": "opsdesk_metrics",
        "summary": "Metrics (Prometheus)",
        "tags": ["operations"],
        "description": (
            "opsdesk's own metrics in the Prometheus text exposition format (version 0.0.4): request "
            "latency per route, intake answers, processing lag and rate, task queue depth and age, "
            "notification deliveries, SLA watch duration. Served without credentials to the addresses "
            "in OPSDESK_METRICS_ALLOW (default loopback only); from elsewhere send an API token with the "
            "`metrics` scope as `Authorization: Bearer <token>`. Outside `/api/v1/`: the path is `/metrics`."
        ),
        "parameters": [
            {
                "name": "name",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": True,
                "description": "Only these series (sample names, e.g. `opsdesk_task_queue_depth`); repeatable.",
                "schema": {
                    "type": "array",
                    "maxItems": MAX_NAMES,
                    "items": {
                        "type": "string",
                        "pattern": SERIES_NAME,
                        "maxLength": MAX_NAME_LENGTH,
                    },
                },
            }
        ],
        "responses": {
            "200": {
                "description": "The metrics.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "401": _problem(401),
            "403": _problem(403),
            "422": _problem(422),
            "429": _problem(429),
        },
    }
}


class RequestMetricsMiddleware:
    """Times every request into opsdesk_http_request_duration_seconds, labelled with the route
    pattern it resolved to (`api/v1/sites/<int:site_id>`), never the raw path: bounded labels."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.route:
            route = match.route
        elif request.path.startswith(self.static):
            route = "(static)"
        else:
            route = "(unmatched)"
        registry.observe_request(
            request.method or "", route, response.status_code, time.perf_counter() - began
        )
        return response
