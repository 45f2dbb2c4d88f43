"""Authentication backend for API bearer tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from . import services


class TokenBackend(ModelBackend):
    """Authenticates `authenticate(request, bearer_token=...)`; never passwords."""

    def authenticate(  # type: ignore[override]
        self, request: Any, bearer_token: str | None = None, **kwargs: Any
    ) -> Any:
        if not bearer_token:
            return None
        return services.authenticate_token(bearer_token, request)
