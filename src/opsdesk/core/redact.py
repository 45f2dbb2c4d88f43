"""Secrets out of log lines: integration and SLI keys in URL paths, tokens in query strings, bearer
credentials. Every log line the servers write passes through `RedactFilter` (Django's logging, the
lean intake's uvicorn) or `opsdesk.core.gunicorn_conf.RedactingLogger` (gunicorn's access and error
logs); the request is served as sent, only what is written down is changed."""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

_PATTERNS = [
    # POST /api/v1/integrations/{kind}/{key} (the senders' path form of the integration key); change events too
    (re.compile(r"(/integrations/(?:alertmanager|grafana|generic|events_v2|change-events)/)[^/\s?#\"'<>]+"), rf"\1{REDACTED}"),
    # POST /api/v1/slis/{key}/measurements
    (re.compile(r"(/slis/)[^/\s?#\"'<>]+"), rf"\1{REDACTED}"),
    # ?token=... (calendar feeds), and the other names a credential goes by in a query string
    (re.compile(r"([?&;](?:token|key|api_key|apikey|access_token|routing_key|secret|signature)=)[^&;\s#\"'<>]+",
                re.IGNORECASE), rf"\1{REDACTED}"),
    # Authorization: Bearer ... / X-Opsdesk-Key: ... echoed anywhere
    (re.compile(r"\b(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\1{REDACTED}"),
    (re.compile(r"(X-Opsdesk-Key[\"']?\s*[:=,]\s*[\"']?)[^\s\"',}]+", re.IGNORECASE), rf"\1{REDACTED}"),
    # "routing_key": "..." (an Events API body quoted in a message)
    (re.compile(r"([\"']routing_key[\"']\s*:\s*[\"'])[^\"']+"), rf"\1{REDACTED}"),
]


def redact(text: str) -> str:
    """`text` with every credential we know the shape of replaced by [redacted]."""
    if "/" not in text and "=" not in text and ":" not in text and " " not in text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """A log argument with its credentials redacted (strings only; anything else as it is)."""
    return redact(value) if isinstance(value, str) else value


class RedactFilter(logging.Filter):
    """A handler filter: the record's message (and traceback text) with credentials redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter to complain
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
