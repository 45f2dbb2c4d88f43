"""The NinjaAPI instance: authentication (session or bearer token), problem details, helpers.

Apps define a ``router`` in their ``api.py``; ``opsdesk.urls`` attaches them here.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import empty
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth

from .audit import audit_denied_write
from .errors import DomainError, PermissionDenied

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token is checked by accounts' auth backend."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate(request, bearer_token=token)
        if user is None or "read" not in getattr(user, "token_scopes", ()):
            return None  # unknown, revoked, or a calendar-only token
        request.user = user
        return user


class Session(SessionAuth):
    """The browser session. `request.user` becomes the User itself instead of Django's lazy
    proxy (a SimpleLazyObject), so every endpoint and service gets the same kind of user from a
    session as from a token (`type(user)`, timeline entries on the user, ... work alike)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        wrapped = getattr(user, "_wrapped", user)  # evaluated by is_authenticated above
        if wrapped is not empty:
            request.user = user = wrapped
        return user


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> JsonResponse:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_JSON)


# -- error answers in the OpenAPI document ----------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_SOURCES = frozenset({"body", "form", "file"})
ERROR_DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON.",
    401: "Unauthorized: no session and no valid API token.",
    403: "Forbidden: the role or the token's scopes do not allow this.",
    404: "Not found: no such object, or one the caller may not see.",
    409: "Conflict: the object's state or another object refuses this.",
    413: "Request body too large.",
    422: "Invalid input: the fields in `errors` are not valid.",
    429: "Too many failed sign-ins or API tokens from this address (or with this token): see Retry-After.",
    503: "Service unavailable: try again later.",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem details answer; `errors` names the offending fields.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "default": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}


def answers(*statuses: int) -> Callable[[F], F]:
    """Declare error answers that the document cannot infer from the operation's signature.

    Inferred for every operation: 401 (authenticated), 403 (writes: scope and role checks),
    404 (path parameters), 422 (any input), 400 and 413 (a body). Declare the rest, e.g.
    `@answers(409)` where a state machine or a conflicting object can refuse, `@answers(403)`
    on a read that only staff may make, `@answers(404)` where a body names an object. Put it
    under the router's decorator.
    """

    def mark(view: F) -> F:
        declared = set(getattr(view, "_opsdesk_answers", ())) | set(statuses)
        view._opsdesk_answers = frozenset(declared)  # type: ignore[attr-defined]
        return view

    return mark


def error_answers(operation: Operation) -> set[int]:
    """The error statuses an operation can answer, from its auth, parameters, body and declaration."""
    sources = {getattr(m, "__ninja_param_source__", None) for m in operation.models}
    statuses: set[int] = set(getattr(operation.view_func, "_opsdesk_answers", ()))
    if operation.auth_callbacks or 401 in statuses:
        # 429: a token from an address (or with a prefix) locked out after failed attempts.
        statuses |= {401, 429}
        if WRITE_METHODS & set(operation.methods):
            statuses.add(403)  # require_scope / require_write on every write
    if "path" in sources:
        statuses |= {404, 422}
    if sources - {None}:
        statuses.add(422)
    if sources & BODY_SOURCES:
        statuses |= {400, 413}
    return statuses


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one problem details answer."""
    return {
        "description": ERROR_DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# Operations served outside Ninja (the alert and change-event intake: plain Django views and the
# lean server), described by the app that serves them through `document_operations`.
_EXTRA: dict[str, dict[str, Any]] = {"paths": {}, "schemas": {}, "securitySchemes": {}}


def document_operations(paths: dict[str, Any], schemas: dict[str, Any], security_schemes: dict[str, Any]) -> None:
    """Add hand-written OpenAPI path items (and the schemas and security schemes they name) to the document."""
    _EXTRA["paths"].update(paths)
    _EXTRA["schemas"].update(schemas)
    _EXTRA["securitySchemes"].update(security_schemes)


class ProblemDocument(OpenAPISchema):
    """The OpenAPI document, with each operation's problem details answers, the operations
    served outside Ninja (`document_operations`) and GET /metrics."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        super().__init__(api, path_prefix)
        self["paths"].update(copy.deepcopy(_EXTRA["paths"]))
        components = self.setdefault("components", {})
        components.setdefault("schemas", {}).update(copy.deepcopy(_EXTRA["schemas"]))
        if _EXTRA["paths"]:
            components["schemas"]["Problem"] = PROBLEM_SCHEMA
        components.setdefault("securitySchemes", {}).update(copy.deepcopy(_EXTRA["securitySchemes"]))

    def get_paths(self) -> dict[str, Any]:
        from .metrics.view import OPENAPI_PATH

        paths: dict[str, Any] = super().get_paths()
        paths["/metrics"] = OPENAPI_PATH
        return paths

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details: dict[str, Any] = super().operation_details(operation)
        responses = details["responses"]
        for status in sorted(error_answers(operation)):
            responses.setdefault(status, problem_response(status))
        self.schemas["Problem"] = PROBLEM_SCHEMA
        return details


class OpsdeskAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document lists the error answers of every operation."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ProblemDocument(self, path_prefix)


api = OpsdeskAPI(
    title="opsdesk API",
    version="1",
    description=(
        "Operations and delivery: sites, engineers, services, work, changes, incidents, SLAs. "
        "Authenticate with a session cookie (browser) or `Authorization: Bearer <token>` "
        "(`opsdesk token create USERNAME`). Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    auth=[BearerToken(), Session()],
)


OWN_TRANSACTIONS = "_opsdesk_own_transactions"


def own_transactions(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a write endpoint that must not run in one request transaction: it does long work
    (a solver's search) outside its short transaction, and on SQLite a request transaction would
    hold the write lock through it. The contract suite (tests/api/test_contract.py) proves its
    answer validates."""
    setattr(view, OWN_TRANSACTIONS, True)
    return view


def _answer_in_transaction(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a write operation, its answer's validation included, in one transaction that is rolled
    back when the answer is a 5xx. A bug found while building the answer (an answer that does not
    fit its schema) then changes nothing, instead of committing work whose answer is lost (a
    one-time key never shown, a create a sender retries into a duplicate)."""
    operation = getattr(run, "__self__", None)
    if getattr(getattr(operation, "view_func", None), OWN_TRANSACTIONS, False):
        return run

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if response.status_code >= 500 or _transaction_failed():
                transaction.set_rollback(True)
        return response

    return wrapper


def _transaction_failed() -> bool:
    """PostgreSQL refuses every statement after an error until rollback (SQLite does not)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    from psycopg import pq

    return bool(connection.connection.info.transaction_status == pq.TransactionStatus.INERROR)


api.add_decorator(_answer_in_transaction, mode="view")


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return out


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _field_errors(exc)
    names = ", ".join(sorted({e["field"] for e in errors}))
    return problem(422, "Invalid input", f"Some fields are not valid: {names}.", errors)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        audit_denied_write(request, exc.detail)
    response = problem(exc.status, exc.title, exc.detail, exc.errors)
    retry_after = getattr(exc, "retry_after", None)  # Throttled (429): when to try again
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        401,
        "Unauthorized",
        "Sign in, or send a valid API token as 'Authorization: Bearer <token>'.",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc.message)
    if exc.status_code == 400 and "parse request body" in detail:
        detail = "The request body is not valid JSON."
    return problem(exc.status_code, "Bad request" if exc.status_code == 400 else "Error", detail)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, "Not found", str(exc) or "No such object.")


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    audit_denied_write(request, str(exc))
    return problem(403, "Forbidden", str(exc) or "You may not do this.")


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": f, "message": " ".join(m for e in errs for m in e.messages)}
            for f, errs in exc.error_dict.items()
        ]
    else:
        errors = [{"field": "body", "message": m} for m in exc.messages]
    return problem(422, "Invalid input", "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Schemas bound every number; this is the net for a value the database still refuses.
    logger.warning("database refused a value on %s %s: %s", request.method, request.path, exc)
    if isinstance(exc, DataError) and connection.in_atomic_block:
        # The refused statement aborted the transaction (PostgreSQL): it can only roll back, so the
        # enclosing block must not try to commit or release it.
        transaction.set_rollback(True)
    return problem(422, "Invalid input", "A value is out of the range the database can store.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A 500 is a bug: log it with the traceback, answer without internals.
    logger.exception("unhandled error on %s %s", request.method, request.path)
    if settings.DEBUG:
        raise exc
    return problem(500, "Internal server error", "Something went wrong on our side; it was logged.")


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse if the request came with a token that lacks `scope` (sessions carry all scopes)."""
    scopes = getattr(request.user, "token_scopes", None)
    if scopes is not None and scope not in scopes:
        raise PermissionDenied(f"This API token lacks the '{scope}' scope.")


def require_write(request: HttpRequest, permission: str) -> None:
    """Refuse unless the user's role grants `permission` and the token may write."""
    require_scope(request, "write")
    user: Any = request.user  # always an authenticated opsdesk User behind the API's auth
    if not user.has_perm_code(permission):
        raise PermissionDenied(f"Your role ({user.get_role_display()}) may not do this ({permission}).")


def api_aware_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for URLs no route matches: problem details under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem(404, "Not found", f"No API endpoint or object at {request.path}.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def api_aware_server_error(request: HttpRequest) -> HttpResponse:
    """500 outside the Ninja handlers: problem details under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem(500, "Internal server error", "Something went wrong on our side; it was logged.")
    from django.views.defaults import server_error

    return server_error(request)
