"""Background work of the slas app: the SLA watch and recomputes (each idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def watch_clocks() -> dict[str, int]:
    """Refresh the SLA clocks time has changed; send at-risk notices and breach escalations once."""
    from .notices import watch

    return watch()


@task()
def recompute_open(kind: str) -> int:
    """Recompute the stored clocks of every open object of a kind (a policy changed)."""
    from .recompute import recompute_open as run

    return run(kind)

