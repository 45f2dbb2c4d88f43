"""Shared fixtures. Every test runs against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from tests import factories as f


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    """Passwords hashed with a fast hasher in tests (Django's advice): the real one (PBKDF2, a
    million rounds) costs ~0.4 s a user, most of a test's setup. Hashing itself stays Django's;
    processes the tests start (opsdesk serve, demo) use the real settings."""
    from django.test import override_settings

    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()  # for the session


class Api:
    """A JSON API client bound to one bearer token."""

    def __init__(self, token: str | None) -> None:
        self.http = HttpClient()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body: Any = None, raw: bytes | str | None = None, **extra: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        return getattr(self.http, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.http.get(url, params, **self.headers)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("patch", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("put", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("delete", path, **kw)


@pytest.fixture
def admin_user(db):
    return f.make_user("admin", username="admin")


@pytest.fixture
def admin_api(admin_user) -> Api:
    return Api(f.make_token(admin_user))


@pytest.fixture
def api_for():
    """api_for(user, scopes=None) -> Api with a fresh token for that user."""

    def build(user, scopes: list[str] | None = None) -> Api:
        return Api(f.make_token(user, scopes))

    return build


@pytest.fixture
def anon_api() -> Api:
    return Api(None)
