"""Small query helpers shared by every app's queries.py."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL


def id_or_code(value: Any, field: str = "code", prefix: str = "") -> Q:
    """Match a related object given as its numeric id or its code ("EMEA" or "3")."""
    text = str(value).strip()
    if text.isdigit():
        return Q(**{f"{prefix}id": int(text)})
    return Q(**{f"{prefix}{field}__iexact": text})


def flag(field: str, value: bool) -> Q:
    """`field` is `value`, written so an index on the boolean can be used.

    Django writes `WHERE "blocked"` for a boolean equal to True, which SQLite cannot match to an
    index starting with that column; `"blocked" IN (1)` walks it (48 ms -> 1 ms for a count of a
    million work orders).
    """
    return Q(**{f"{field}__in": [value]})


def id_list(ids: Iterable[int]) -> RawSQL:
    """Thousands of ids for `field__in=`, passed as one parameter rather than one per id.

    Django builds `IN (%s, %s, ...)` by preparing every value (about 40 µs per id for a foreign
    key): 5,000 ids cost ~0.2 s before the query runs. One array (PostgreSQL) or JSON list
    (SQLite's json_each) parameter costs nothing per id.
    """
    values = [int(i) for i in ids if i is not None]  # unsaved objects (pk None) match nothing
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def text_list(values: Iterable[str]) -> RawSQL:
    """Thousands of strings for `field__in=`, as one parameter (see `id_list`)."""
    items = [str(v) for v in values]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", (items,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(items),))
