"""Integration keys and signing secrets.

A key is 32 random bytes (URL-safe text, `odi_` prefix) shown once; only its SHA-256 is stored, so
a fast hash is right. Grafana's HMAC needs a secret both sides hold: it is derived from the
server's SECRET_KEY and the integration's random salt, so neither the database nor a backup of it
reveals it; rotating the salt rotates the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

PREFIX = "odi_"
SHOWN = 12  # characters kept to recognise a key (the prefix and 8 more)


def new_key() -> str:
    """A fresh integration key."""
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> str:
    """What is stored of a key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_salt() -> str:
    """A fresh salt for a signing secret."""
    return secrets.token_hex(16)


def signing_secret(salt: str) -> str:
    """The HMAC-SHA256 secret a sender signs with, for this salt."""
    derived = hmac.new(settings.SECRET_KEY.encode(), f"opsdesk-integration-signing:{salt}".encode(), hashlib.sha256)
    return "ods_" + derived.hexdigest()


def signature_ok(secret: str, body: bytes, signature: str, timestamp: str | None = None) -> bool:
    """Whether `signature` (hex, optionally 'sha256=' prefixed) signs the body, or `timestamp:body`."""
    message = body if timestamp is None else timestamp.encode() + b":" + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    given = signature.strip().removeprefix("sha256=")
    return hmac.compare_digest(expected, given.lower())
