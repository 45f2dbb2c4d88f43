"""On-call API (thin edges)."""

from ninja import Router

router = Router(tags=["On-call"])
