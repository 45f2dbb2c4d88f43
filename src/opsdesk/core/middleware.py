"""Framework plumbing for the API edge."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .api import problem


class BodySizeLimitMiddleware:
    """Answer 413 (problem details) for API bodies over the configured limit, before parsing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem(400, "Bad request", "Content-Length is not a number.")
        if limit is not None and length > limit:
            return problem(
                413,
                "Request body too large",
                f"The body has {length} bytes; the limit is {limit} bytes.",
            )
        return self.get_response(request)
