"""The one place that scopes querysets to what a user may see.

Each model declares, as the class attribute ``tenant_path``, how it reaches a client:
an ORM lookup ending at a client id (``"client"``, ``"clients"``, ``"site__clients"``),
``PUBLIC`` for reference data every signed-in user may read (regions), or ``STAFF_ONLY``
for records client users never see (engineers, users, tokens). Staff see everything.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.db.models import Model, QuerySet

from .errors import NotFound

PUBLIC = "__public__"
STAFF_ONLY = "__staff_only__"

M = TypeVar("M", bound=Model)


class Viewer(Protocol):
    """What tenancy needs to know about a user."""

    is_authenticated: bool
    client_id: int | None

    @property
    def is_client_user(self) -> bool: ...


def tenant_path(model: type[Model]) -> str:
    """The model's declared path to a client; undeclared models are staff-only."""
    return getattr(model, "tenant_path", STAFF_ONLY)


def scope(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """Restrict a queryset to the rows `user` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    if not getattr(user, "is_client_user", False):
        return queryset
    path = tenant_path(queryset.model)
    if path == PUBLIC:
        return queryset
    if path == STAFF_ONLY or user.client_id is None:
        return queryset.none()
    filtered = queryset.filter(**{path: user.client_id})
    # A many-valued path (a site serving several clients) can repeat rows.
    return filtered.distinct() if "__" in path or path.endswith("s") else filtered


def get_scoped(queryset: QuerySet[M], user: Any, **lookup: Any) -> M:
    """One object the user may see, or NotFound (the same answer whether it exists or not)."""
    obj = scope(queryset, user).filter(**lookup).first()
    if obj is None:
        raise NotFound(f"No {queryset.model._meta.verbose_name} matches {_describe(lookup)}.")
    return obj


def can_see(user: Any, obj: Model) -> bool:
    """Whether `user` may see this object."""
    return scope(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def _describe(lookup: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in lookup.items()) or "that request"
