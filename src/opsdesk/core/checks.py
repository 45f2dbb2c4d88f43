"""System checks behind `opsdesk check`: configuration sanity."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import connection


@checks.register(checks.Tags.database, deploy=False)
def check_database(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The database answers; SQLite runs in WAL mode with full sync."""
    if not kwargs.get("databases"):
        return []
    problems: list[checks.CheckMessage] = []
    try:
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("PRAGMA journal_mode")
                mode = cur.fetchone()[0]
                cur.execute("PRAGMA synchronous")
                sync = cur.fetchone()[0]
                if mode.lower() != "wal" and not getattr(connection, "is_in_memory_db", lambda: False)():
                    problems.append(checks.Warning(f"SQLite journal_mode is {mode}, expected wal", id="opsdesk.W001"))
                if sync != 2:
                    problems.append(checks.Warning(f"SQLite synchronous is {sync}, expected 2 (FULL)", id="opsdesk.W002"))
            else:
                cur.execute("SELECT 1")
    except Exception as exc:  # report, never crash the check
        problems.append(checks.Error(f"database unreachable: {exc}", id="opsdesk.E001"))
    return problems


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Settings that are easy to get wrong in production."""
    problems: list[checks.CheckMessage] = []
    if settings.DEBUG:
        problems.append(checks.Warning("OPSDESK_DEBUG is on: never in production", id="opsdesk.W010"))
    if len(settings.SECRET_KEY) < 32:
        problems.append(checks.Error("OPSDESK_SECRET_KEY is shorter than 32 characters", id="opsdesk.E010"))
    if settings.OPSDESK_EMAIL_ENABLED and not settings.EMAIL_HOST:
        problems.append(checks.Error("email is enabled but OPSDESK_SMTP_HOST is empty", id="opsdesk.E011"))
    return problems
