"""`opsdesk restore PATH [--force]`: a backup made by `opsdesk backup` into an empty database."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from opsdesk.core import backup


class Command(BaseCommand):
    """Restore a backup into the configured database (which must be empty, unless --force)."""

    help = "Restore a backup made by `opsdesk backup` into the (empty) configured database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--force", action="store_true",
            help="replace what the database holds (stop opsdesk serve and every worker first)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Restore, then say what to run next."""
        try:
            done = backup.restore(options["path"], force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {done.tables} tables ({done.engine}) from {done.path}.")
        self.stdout.write("Next: put the secret key back (var/secret_key or OPSDESK_SECRET_KEY), run "
                          "`opsdesk migrate` (a no-op unless this opsdesk is newer), then `opsdesk serve`.")
