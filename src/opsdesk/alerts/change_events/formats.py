"""Change events as sent, checked: PagerDuty's Change Events and opsdesk's generic JSON form
(alerts.change_events). Plain data in, `Reported` or InvalidEvent out."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from ..formats import InvalidEvent, instant

MAX_SUMMARY, MAX_SOURCE, MAX_LINKS, MAX_LABEL = 1024, 255, 50, 300


@dataclass(frozen=True)
class Reported:
    """One change event as sent, checked."""

    summary: str
    source: str
    happened_at: dt.datetime | None
    custom_details: dict[str, Any]
    links: list[dict[str, str]]
    digest: str


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the event as sent, without the routing key: the same event retried has the same one."""
    event = {k: v for k, v in document.items() if k != "routing_key"}
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _links(value: object, errors: list[str]) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append("'links' must be a list")
        return []
    if len(value) > MAX_LINKS:
        errors.append(f"'links' has more than {MAX_LINKS} links")
        return []
    out = []
    for index, link in enumerate(value):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str) or not link["href"].strip():
            errors.append(f"'links[{index}].href' is missing or not a string")
        elif link.get("text") is not None and not isinstance(link["text"], str):
            errors.append(f"'links[{index}].text' must be a string")
        else:
            out.append({"href": link["href"][:2000], "text": str(link.get("text") or "")[:MAX_LABEL]})
    return out


def check(fields: object, prefix: str, digest: str) -> Reported:
    """The change event in `fields` (PagerDuty's payload, or the generic body); InvalidEvent when
    it is not one. `prefix` names the fields in errors ("payload." or "")."""
    if not isinstance(fields, dict):
        raise InvalidEvent([f"'{prefix.rstrip('.') or 'body'}' is missing or not an object"])
    errors: list[str] = []
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append(f"'{prefix}summary' is missing or blank")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'{prefix}summary' is longer than {MAX_SUMMARY} characters")
    source = fields.get("source")
    if source is not None and not isinstance(source, str):
        errors.append(f"'{prefix}source' must be a string")
    timestamp = fields.get("timestamp")
    at = instant(timestamp) if isinstance(timestamp, str) else None
    if timestamp is not None and at is None:
        errors.append(f"'{prefix}timestamp' is not an ISO 8601 timestamp")
    elif at is not None and not 2000 <= dt.datetime.fromisoformat(at).year <= 2199:
        errors.append(f"'{prefix}timestamp' must fall between the years 2000 and 2199")
    details = fields.get("custom_details")
    if details is not None and not isinstance(details, dict):
        errors.append(f"'{prefix}custom_details' must be an object")
    links = [] if prefix else _links(fields.get("links"), errors)  # PagerDuty's links are beside the payload
    if errors:
        raise InvalidEvent(errors)
    return Reported(
        summary=str(summary).strip(), source=(source or "")[:MAX_SOURCE],
        happened_at=dt.datetime.fromisoformat(at) if at else None, custom_details=details or {},
        links=links, digest=digest,
    )


def parse_pagerduty(document: object) -> tuple[str, Reported]:
    """(routing key, event) of a PagerDuty change event; InvalidEvent names what is wrong."""
    if not isinstance(document, dict):
        raise InvalidEvent(["Event object is not a JSON object"])
    key = document.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        raise InvalidEvent(["'routing_key' is missing or blank"])
    reported = check(document.get("payload"), "payload.", digest(document))
    errors: list[str] = []
    links = _links(document.get("links"), errors)
    if errors:
        raise InvalidEvent(errors)
    return key.strip(), Reported(**{**reported.__dict__, "links": links})


def labels_of(reported: Reported) -> dict[str, str]:
    """What the mapping rules read: `source` and each custom detail (nested values as JSON text)."""
    labels = {"source": reported.source}
    for name, value in reported.custom_details.items():
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        labels[str(name)[:100]] = text[:MAX_LABEL]
    return labels
