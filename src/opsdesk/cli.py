"""The `opsdesk` command: Django's management commands behind one entry point."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run an opsdesk (Django management) command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["opsdesk", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
