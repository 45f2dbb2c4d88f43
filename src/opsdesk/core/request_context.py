"""The current request's client address, for services that record audit events.

A middleware sets it per request (a contextvar, so threads and async tasks each see their own);
services read it through ``core.audit.record_audit`` without every use case taking a request.
Outside a request (CLI, worker) it is None.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("opsdesk_client_address", default=None)


def current_address() -> str | None:
    """The address of the request being served, if any."""
    return _address.get()


class RequestContextMiddleware:
    """Make the client address (see core.throttle.client_address) known for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .throttle import client_address

        token = _address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """A page that refuses a write by raising PermissionDenied: audit it, then let Django
        answer (403). The API and form actions audit their own refusals."""
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

        from .audit import audit_denied_write
        from .errors import PermissionDenied

        if isinstance(exception, DjangoPermissionDenied | PermissionDenied):
            detail = exception.detail if isinstance(exception, PermissionDenied) else str(exception)
            audit_denied_write(request, detail)
