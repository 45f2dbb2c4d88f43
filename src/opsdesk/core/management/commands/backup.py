"""`opsdesk backup PATH`: a consistent online backup of the database (opsdesk.core.backup)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opsdesk.core import backup


class Command(BaseCommand):
    """Back the database up to a file while opsdesk runs (SQLite backup API, or pg_dump -Fc)."""

    help = "Write a consistent backup of the database to PATH (safe while opsdesk serve runs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to write (replaced when it exists)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Write the backup; say where, how big, and what else to keep."""
        try:
            done = backup.backup(options["path"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backed up {done.tables} tables ({done.engine}) to {done.path} ({done.size:,} bytes).")
        key_file = Path(settings.VAR_DIR) / "secret_key"
        if key_file.exists():
            self.stderr.write(f"Keep {key_file} with your backups: sessions and Grafana signing secrets need it.")
