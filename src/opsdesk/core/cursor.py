"""Keyset ("cursor") paging besides limit/offset: deep pages cost what the first one does.

`?cursor=` (empty) starts at the newest row; each answer's `next_cursor` fetches the next page
(rows with a smaller id). Without `cursor`, lists page by limit/offset as everywhere else.
Answers are {"items", "count", "count_capped", "next_cursor"}; `count` is the filtered total (an
indexed count; lists that cap it, such as the work queue, say so in `count_capped`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from .errors import field_error
from .pagination import MAX_OFFSET, Page

PREFIX = "id:"


def encode(pk: int) -> str:
    """An opaque cursor for 'rows after this id' (newest first)."""
    return base64.urlsafe_b64encode(f"{PREFIX}{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The id a cursor points after, or InvalidInput (422) for anything this API did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value = int(raw.removeprefix(PREFIX)) if raw.startswith(PREFIX) else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = -1
    if not 1 <= value <= 2**63 - 1:
        raise field_error("cursor", "not a cursor given out by this API; start again with ?cursor=")
    return value


def keyset(
    queryset: QuerySet[Any], cursor: str, limit: int, *, count: int | None = None,
    load: Callable[[list[int]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of `queryset` newest first (by id), after `cursor` ('' for the first page).

    With `load`, the page's ids are read first and `load(ids)` makes the items.
    """
    count = queryset.order_by().count() if count is None else count
    page = queryset.order_by("-pk")
    if cursor:
        page = page.filter(pk__lt=decode(cursor))
    if load is None:
        rows = list(page[: limit + 1])
        ids = [row.pk for row in rows[:limit]]
    else:
        rows = list(page.values_list("pk", flat=True)[: limit + 1])
        ids = rows[:limit]
    more = len(rows) > limit
    items = rows[:limit] if load is None else load(ids)
    return {"items": items, "count": count, "next_cursor": encode(ids[-1]) if more and ids else None}


class CursorPage(Page):
    """Limit/offset pagination, or keyset pagination on -id when `cursor` is given."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
        cursor: str | None = Field(None, max_length=100, description="Keyset paging: empty for the first page, then next_cursor")

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool = Field(False, description="count stopped at its cap: there are more")
        next_cursor: str | None = None

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any) -> Any:
        """Lists may also be a sliceable with `for_keyset()`, a (capped) length and `load(ids)` making the
        items, such as the work queue."""
        limit = min(pagination.limit, self.max_limit)
        capped = {"count_capped": bool(getattr(queryset, "capped", False))}
        if pagination.cursor is None:
            return {**super().paginate_queryset(queryset, pagination, request, **params), "next_cursor": None, **capped}
        source = getattr(queryset, "for_keyset", None)
        if source is None:
            return keyset(queryset, pagination.cursor, limit)
        load = getattr(queryset, "load", None)
        return {**keyset(source(), pagination.cursor, limit, count=len(queryset), load=load), **capped}
