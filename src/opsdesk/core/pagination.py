"""Pagination of API lists: {"items": [...], "count": N} with ?limit=&offset=."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # beyond any real list, and within every database's integer range


class Page(LimitOffsetPagination):
    """Limit/offset pagination with both bounds checked (a 4xx, never a database overflow)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ReaderPage(Page):
    """A page whose items are shown as the caller may read them: `@paginate(ReaderPage, reader=fn)`
    with fn(items, user) -> items (a client user reads their own part of shared objects)."""

    def __init__(self, *, reader: Any = None, **kwargs: Any) -> None:
        self.reader = reader
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        if self.reader is not None:
            page["items"] = self.reader(page["items"], request.user)
        return page
