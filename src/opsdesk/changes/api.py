"""Changes, approvals, collisions, windows and freezes, calendar feeds (thin edges)."""

from ninja import Router

router = Router()
