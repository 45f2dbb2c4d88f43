"""Background work of channels: each delivery's attempt, and the periodic sweep of due retries."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver(delivery_id: int) -> str:
    """Attempt one delivery if it is still due; its state afterwards ("" if nothing was done)."""
    from .sending import attempt

    delivery = attempt(delivery_id)
    return delivery.state if delivery else ""


@task()
def deliver_due() -> int:
    """Attempt every due delivery (retries); how many were tried."""
    from .sending import deliver_due as sweep

    return sweep()
