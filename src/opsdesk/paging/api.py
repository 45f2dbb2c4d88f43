"""Paging API (thin edges)."""

from ninja import Router

router = Router(tags=["Paging"])
