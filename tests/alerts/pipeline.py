"""Helpers for tests of alert processing: accepted events written as the intake writes them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from opsdesk.alerts import keys, processing
from opsdesk.alerts.models import Integration, RawEvent
from opsdesk.core import clock


def make_integration(client: Any, kind: str = "events_v2", **kw: Any) -> Integration:
    raw = keys.new_key()
    return Integration.objects.create(
        name=kw.pop("name", f"{kind} for {client.code}"), kind=kind, client=client, key_hash=keys.hash_key(raw),
        key_prefix=raw[:12], signing_salt=keys.new_salt(), **kw,
    )


def signal(key: str, action: str = "trigger", **kw: Any) -> dict[str, Any]:
    return {
        "action": action, "key": key, "summary": kw.pop("summary", f"Alert {key}"), "source": kw.pop("source", "test"),
        "severity": kw.pop("severity", "error"), "labels": kw.pop("labels", {}), "annotations": kw.pop("annotations", {}),
        "details": kw.pop("details", {}), "started_at": kw.pop("started_at", None), "ended_at": kw.pop("ended_at", None),
    }


def deliver(integration: Integration, *signals: dict[str, Any], at: dt.datetime | None = None, body: str | None = None) -> RawEvent:
    """One accepted delivery, as the intake stores it (its body digest from `body`, default the signals)."""
    text = body if body is not None else json.dumps(list(signals), sort_keys=True)
    return RawEvent.objects.create(
        integration=integration, received_at=at or clock.now(), signals=list(signals),
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def process() -> int:
    return processing.drain()
