"""Small query helpers shared by every app's queries.py."""

from __future__ import annotations

from typing import Any

from django.db.models import Q


def id_or_code(value: Any, field: str = "code", prefix: str = "") -> Q:
    """Match a related object given as its numeric id or its code ("EMEA" or "3")."""
    text = str(value).strip()
    if text.isdigit():
        return Q(**{f"{prefix}id": int(text)})
    return Q(**{f"{prefix}{field}__iexact": text})
