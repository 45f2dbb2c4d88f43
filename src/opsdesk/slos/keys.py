"""SLI keys: how one is made and what is stored of it (its hash and the characters shown)."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "osk_"
KEY_SHOWN = 12  # characters kept to recognise a key (the prefix and 8 more)


def new_key() -> str:
    """A fresh SLI key (32 random bytes, URL-safe)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> str:
    """What is stored of an SLI key: its SHA-256 (a random key needs no slow hash)."""
    return hashlib.sha256(raw.encode()).hexdigest()
