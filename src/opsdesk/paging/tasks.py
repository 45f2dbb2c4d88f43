"""Background work of paging: the periodic pass that runs due steps and sends due pages."""

from __future__ import annotations

from django_tasks import task


@task()
def run_escalations() -> dict[str, int]:
    """Run every due escalation step, then send every due page (each exactly once)."""
    from . import services

    return {"steps": services.advance_due(), "sent": services.send_due()}


@task()
def send_pages() -> int:
    """Send due pages (enqueued by a step with many pages, so a second worker shares the fan-out)."""
    from . import services

    return services.send_due()
