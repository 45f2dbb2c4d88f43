"""Domain errors. Raised by rules and services; turned into RFC 9457 problem details at the edges."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request that the domain refuses, with a detail a person can act on."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(DomainError):
    """Input that is well-formed but not acceptable (unknown id, invalid time zone, ...)."""

    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    """The object does not exist, or the caller may not see it."""

    status = 404
    title = "Not found"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (invalid transition, duplicate, cycle)."""

    status = 409
    title = "Conflict"


def field_error(field: str, message: str) -> InvalidInput:
    """An InvalidInput naming one offending field."""
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])
