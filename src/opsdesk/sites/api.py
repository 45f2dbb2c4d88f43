"""API endpoints (thin: parse, call one service or query, render)."""

from ninja import Router

router = Router()
