"""Copy-ready configuration for the senders of each kind of integration: Alertmanager's
webhook_configs and pagerduty_configs, Grafana's webhook contact point, a curl for the Events API
and for the generic JSON format. Plain text in, plain text out (the page escapes it).

The integration key goes in a header (`Authorization: Bearer KEY`, or `X-Opsdesk-Key: KEY`), not
in the URL: URLs end up in access logs, proxies' logs and browser histories. The path form
(`/api/v1/integrations/{kind}/{key}`) still works for senders configured before."""

from __future__ import annotations

import json
from dataclasses import dataclass

KEY_PLACEHOLDER = "<your key>"


@dataclass(frozen=True)
class Example:
    """One example: a title, what to do with it, and the text to copy."""

    title: str
    hint: str
    text: str


def intake_url(base: str, kind: str, key: str = KEY_PLACEHOLDER) -> str:
    """Where an integration of `kind` delivers: the key goes in a header (`key` is unused, kept for
    callers), the Events API's in the body."""
    base = base.rstrip("/")
    if kind == "events_v2":
        return f"{base}/v2/enqueue"
    return f"{base}/api/v1/integrations/{kind}"


def path_url(base: str, kind: str, key: str) -> str:
    """The older form with the key in the path, for senders that cannot set a header."""
    return f"{intake_url(base, kind)}/{key}"


def _curl(url: str, body: dict[str, object], key: str | None = None) -> str:
    auth = f"  -H 'Authorization: Bearer {key}' \\\n" if key else ""
    return (f"curl -sS -X POST '{url}' \\\n{auth}  -H 'Content-Type: application/json' \\\n"
            f"  -d '{json.dumps(body, separators=(',', ':'))}'")


def _alertmanager(base: str, key: str) -> list[Example]:
    url = intake_url(base, "alertmanager", key)
    return [Example(
        "Prometheus Alertmanager (alertmanager.yml)",
        "Add the receiver and route alerts to it; Alertmanager retries on errors and sends resolves. "
        "The key travels in the Authorization header (Alertmanager 0.22 or later; older ones can "
        f"put it in the URL: {path_url(base, 'alertmanager', key)}).",
        "route:\n  receiver: opsdesk\nreceivers:\n  - name: opsdesk\n    webhook_configs:\n"
        f"      - url: \"{url}\"\n        send_resolved: true\n        http_config:\n"
        f"          authorization:\n            type: Bearer\n            credentials: \"{key}\"\n",
    )]


def _events_v2(base: str, key: str) -> list[Example]:
    url = intake_url(base, "events_v2", key)
    return [
        Example(
            "Prometheus Alertmanager through the PagerDuty Events API v2 (alertmanager.yml)",
            "opsdesk speaks the Events API v2: point pagerduty_configs at it with url.",
            "receivers:\n  - name: opsdesk\n    pagerduty_configs:\n"
            f"      - routing_key: \"{key}\"\n        url: \"{url}\"\n        send_resolved: true\n",
        ),
        Example(
            "Any Events API v2 sender (curl)",
            "The routing_key is the integration key.",
            _curl(url, {"routing_key": key, "event_action": "trigger", "dedup_key": "disk-db1",
                        "payload": {"summary": "Disk 95% full on db1", "source": "db1.example.net",
                                    "severity": "critical"}}),
        ),
    ]


def _grafana(base: str, key: str, signature_header: str, timestamp_header: str, secret: str | None) -> list[Example]:
    url = intake_url(base, "grafana", key)
    lines = [
        "Alerting → Contact points → + Add contact point",
        "Integration: Webhook",
        f"URL: {url}",
        "HTTP Method: POST",
        "Optional settings → Authorization Header - Scheme: Bearer",
        f"Optional settings → Authorization Header - Credentials: {key}",
        f"(or, as a custom HTTP header: X-Opsdesk-Key: {key})",
    ]
    if signature_header:
        lines += [
            "Optional settings → HMAC Signature:",
            f"  Secret: {secret or '<the signing secret shown when the key was made>'}",
            f"  Header: {signature_header}",
        ]
        if timestamp_header:
            lines.append(f"  Timestamp Header: {timestamp_header}")
    hint = "Grafana signs each delivery; opsdesk refuses unsigned ones." if signature_header else \
        "Not signed: set a signature header on the integration to have Grafana sign deliveries."
    return [Example("Grafana contact point", hint, "\n".join(lines))]


def _generic(base: str, key: str) -> list[Example]:
    url = intake_url(base, "generic", key)
    return [Example(
        "Generic JSON (curl)",
        'One event, or {"events": [...]}. "resolve" with the same key closes the alert. '
        "The key goes in the Authorization header (or X-Opsdesk-Key; a sender that cannot set a header "
        f"can put it in the URL: {path_url(base, 'generic', key)}).",
        _curl(url, {"action": "trigger", "key": "backup-db1", "summary": "Nightly backup of db1 failed",
                    "severity": "error", "source": "db1.example.net", "labels": {"service": "billing"}}, key),
    )]


def examples(kind: str, base: str, key: str = KEY_PLACEHOLDER, *, signature_header: str = "",
             timestamp_header: str = "", secret: str | None = None) -> list[Example]:
    """The examples for an integration of `kind`, with its key (or a placeholder) filled in."""
    if kind == "alertmanager":
        return _alertmanager(base, key)
    if kind == "events_v2":
        return _events_v2(base, key)
    if kind == "grafana":
        return _grafana(base, key, signature_header, timestamp_header, secret)
    if kind == "generic":
        return _generic(base, key)
    return []
