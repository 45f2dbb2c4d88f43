"""Pure decisions about engineers: certification expiry warnings."""

from __future__ import annotations

import datetime as dt

EXPIRY_WARNING_DAYS = 30


def expiry_status(expires_on: dt.date | None, today: dt.date) -> str:
    """'expired', 'expiring' (within 30 days) or 'valid'; no expiry date means valid."""
    if expires_on is None:
        return "valid"
    if expires_on < today:
        return "expired"
    if (expires_on - today).days <= EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


def valid_on(expires_on: dt.date | None, day: dt.date) -> bool:
    """Whether something that expires on `expires_on` is still valid on `day` (inclusive)."""
    return expires_on is None or day <= expires_on
