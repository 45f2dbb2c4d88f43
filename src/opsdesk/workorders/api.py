"""Work orders API: CRUD, transitions, readiness, handoffs, comments (thin edges)."""

from ninja import Router

router = Router()
