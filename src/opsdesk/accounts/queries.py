"""Reads of users and tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.core.tenancy import get_scoped, scope

from .models import ApiToken, User


def list_users(user: Any, *, role: str | None = None, client: int | None = None) -> QuerySet[User]:
    """Users the viewer may see (client users: their own client's users)."""
    qs = scope(User.objects.select_related("client"), user)
    if role:
        qs = qs.filter(role=role)
    if client:
        qs = qs.filter(client_id=client)
    return qs.order_by("username")


def get_user(user: Any, user_id: int) -> User:
    """One user the viewer may see, or NotFound."""
    return get_scoped(User.objects.select_related("client"), user, pk=user_id)


def list_own_tokens(user: Any) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def get_own_token(user: Any, token_id: int) -> ApiToken:
    """One of the user's own tokens, or NotFound."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(f"You have no API token with id {token_id}.")
    return token


def active_staff(user_id: int | None) -> User | None:
    """An active staff (non-client) user by id, or None: whoever may own or hold work."""
    return User.objects.filter(pk=user_id or 0, is_active=True).exclude(role="client").first()
