"""Inbound mail API (thin edges)."""

from ninja import Router

router = Router(tags=["Inbound mail"])
