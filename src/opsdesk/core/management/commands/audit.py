"""`opsdesk audit export [--since] [--until] [--format csv|jsonl] [--action] [--actor]`: to stdout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.core import audit


def _instant(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"'{raw}' is not an ISO date or date-time (2026-12-01 or 2026-12-01T08:00Z)") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Export the audit log (oldest first) as CSV or JSON lines to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="write events to stdout")
        export.add_argument("--since", help="from this date or instant (UTC unless a zone is given)")
        export.add_argument("--until", help="before this date or instant")
        export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
        export.add_argument("--action", help="one action (auth.login) or a family ending in '.'")
        export.add_argument("--actor", help="username")

    def handle(self, *args: Any, **options: Any) -> None:
        events = audit.filter_events(
            action=options.get("action"), actor=options.get("actor"),
            since=_instant(options.get("since")), until=_instant(options.get("until")),
        ).order_by("at", "id")
        for chunk in audit.export(events.iterator(chunk_size=2000), options["format"]):
            self.stdout.write(chunk, ending="")
