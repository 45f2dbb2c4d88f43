"""Bulk work: drop a table's secondary indexes around a large insert and build them again after.

Inserting a million rows into a table with a dozen indexes updates every index once per row, in
random order; building each index once at the end from the loaded rows is several times faster.
The indexes are recreated from their own saved definitions (SQLite's `sqlite_master.sql`,
PostgreSQL's `pg_get_indexdef`), so nothing is restated here and nothing can drift from the
migrations. Unique indexes and those behind constraints stay: they guard the data being loaded.
Used inside the caller's transaction (both databases have transactional DDL): a failure leaves
the indexes as they were.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model

BULK_CACHE_KIB = 512 * 1024  # SQLite page cache while loading in bulk


def secondary_indexes(model: type[Model]) -> dict[str, str]:
    """The table's non-unique indexes not backing a constraint: name -> the SQL that creates it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " WHERE i.schemaname = current_schema() AND i.tablename = %s"
                " AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        return dict(cursor.fetchall())


def _check_deferred(cursor: Any) -> None:
    """PostgreSQL refuses to change a table's indexes while deferred foreign-key checks on it are
    pending in the transaction: run them now (a violation fails here, as it would at commit)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def without_indexes(*models: type[Model]) -> Iterator[None]:
    """Drop the models' secondary indexes for the block, then create them again as they were."""
    saved = [secondary_indexes(model) for model in models]
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if sqlite:
            # SQLite's page cache is 2 MB by default: a bulk load and the index builds after it
            # (sorts of a million keys) run several times faster with room to work in memory.
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
        _check_deferred(cursor)
        for indexes in saved:
            for name in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        _check_deferred(cursor)
        if sqlite:
            cursor.execute("PRAGMA threads = 4")  # the index builds' sorts may use helper threads
        for indexes in saved:
            for sql in indexes.values():
                cursor.execute(sql)
        if sqlite:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
            cursor.execute("PRAGMA threads = 0")


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk computation that makes no reference cycles.

    Building or judging a million rows allocates millions of small containers that reference
    counting frees; the collector would only rescan the growing results again and again (10-20 %
    of the time). Objects are still freed as usual; only cycles would wait until the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
