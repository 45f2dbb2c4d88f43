"""Reads for the intake: the active integrations a delivery may be for, by key hash."""

from __future__ import annotations

from dataclasses import dataclass

from .. import keys
from ..models import Integration


@dataclass(frozen=True, slots=True)
class Source:
    """What the intake needs to know of an active integration."""

    id: int
    kind: str
    signature_header: str  # "" when deliveries are not signed
    timestamp_header: str
    secret: str  # the HMAC secret, when signed


SOURCE_FIELDS = ("id", "kind", "key_hash", "signature_header", "timestamp_header", "signing_salt")


def _source(id: int, kind: str, signature_header: str, timestamp_header: str, salt: str) -> Source:
    secret = keys.signing_secret(salt) if signature_header else ""
    return Source(id, kind, signature_header.strip(), timestamp_header.strip(), secret)


def find_source(key_hash: str) -> Source | None:
    """The active integration with this key hash (alerts.keys.hash_key), from the database."""
    row = Integration.objects.filter(key_hash=key_hash, active=True).values_list(*SOURCE_FIELDS).first()
    if row is None:
        return None
    return _source(row[0], row[1], row[3], row[4], row[5])


def all_sources() -> dict[str, Source]:
    """Every active integration by key hash (the lean server's cache, reloaded every second)."""
    rows = Integration.objects.filter(active=True).values_list(*SOURCE_FIELDS)
    return {r[2]: _source(r[0], r[1], r[3], r[4], r[5]) for r in rows}
