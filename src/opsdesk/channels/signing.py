"""Webhook signing secrets (Standard Webhooks) derived from a stored salt and the server's SECRET_KEY.

The secret is never stored: `derive(salt)` = "whsec_" + base64(HMAC-SHA256(SECRET_KEY,
"opsdesk-webhook:" + salt)). Signing and verifying use the `standardwebhooks` library.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from standardwebhooks import Webhook

PREFIX = "whsec_"


def new_salt() -> str:
    """A random salt for a new (or rotated) secret."""
    return secrets.token_hex(16)


def derive(salt: str) -> str:
    """The endpoint's Standard Webhooks secret for this salt."""
    key = hmac.new(settings.SECRET_KEY.encode(), f"opsdesk-webhook:{salt}".encode(), hashlib.sha256).digest()
    return PREFIX + base64.b64encode(key).decode()


def headers(salt: str, message_id: str, at: dt.datetime, body: bytes) -> dict[str, str]:
    """The webhook-id, webhook-timestamp and webhook-signature headers of one attempt."""
    signature = Webhook(derive(salt)).sign(msg_id=message_id, timestamp=at, data=body)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}
