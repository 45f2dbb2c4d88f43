"""Background work of on-call: the periodic warning before a gap begins."""

from __future__ import annotations

from django_tasks import task


@task()
def warn_gaps() -> int:
    """Warn each schedule's members once per gap beginning within 24 h; how many gaps were warned."""
    from .services import warn_gaps as run

    return run()
