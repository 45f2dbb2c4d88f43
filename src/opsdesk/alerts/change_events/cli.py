"""`opsdesk integration change-events`: the recent change events as a table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .models import ChangeEvent


def show_change_events(console: Console, integration: int | None, limit: int) -> None:
    """Print the latest change events (of one integration, when given), newest first."""
    events = ChangeEvent.objects.select_related("integration", "service", "site").order_by("-received_at", "-id")
    if integration:
        events = events.filter(integration_id=integration)
    table = Table(title="Change events", title_justify="left")
    for column in ("id", "happened (UTC)", "integration", "summary", "source", "service", "site", "change"):
        table.add_column(column)
    for e in events[:limit]:
        table.add_row(
            str(e.pk), e.happened_at.strftime("%Y-%m-%d %H:%M"), e.integration.name, e.summary, e.source,
            e.service.code if e.service else "-", e.site.code if e.site else "-",
            f"CHG-{e.change_id}" if e.change_id else "-",
        )
    console.print(table)
