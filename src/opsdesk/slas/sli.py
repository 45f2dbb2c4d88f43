"""SLI keys and measurement limits: plain values and functions shared by SLO services, queries and reports."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "osk_"
KEY_SHOWN = 12  # characters kept to recognise a key (the prefix and 8 more)
MAX_BUCKET_SECONDS = 3600  # a bucket covers at most an hour: reads of a period start this much earlier


def new_key() -> str:
    """A fresh SLI key (32 random bytes, URL-safe)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> str:
    """What is stored of an SLI key: its SHA-256 (a random key needs no slow hash)."""
    return hashlib.sha256(raw.encode()).hexdigest()
