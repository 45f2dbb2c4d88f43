"""opsdesk.core.redact: the credentials we know the shape of never reach a log line."""

from __future__ import annotations

import logging
import sys

import pytest

from opsdesk.core.redact import RedactFilter, redact

KEY = "odi_Abc-123_xyz"


@pytest.mark.parametrize(("line", "expected"), [
    (f'"POST /api/v1/integrations/alertmanager/{KEY} HTTP/1.1" 202', '"POST /api/v1/integrations/alertmanager/[redacted] HTTP/1.1" 202'),
    (f'"POST /api/v1/integrations/change-events/{KEY} HTTP/1.1" 202', '"POST /api/v1/integrations/change-events/[redacted] HTTP/1.1" 202'),
    (f"Not Found: /api/v1/integrations/grafana/{KEY}", "Not Found: /api/v1/integrations/grafana/[redacted]"),
    (f"GET /api/v1/calendars/changes.ics?site=3&token={KEY}&x=1", "GET /api/v1/calendars/changes.ics?site=3&token=[redacted]&x=1"),
    (f"GET /dispatch/engineers/4/schedule.ics?token={KEY} HTTP/1.1", "GET /dispatch/engineers/4/schedule.ics?token=[redacted] HTTP/1.1"),
    (f"POST /api/v1/slis/{KEY}/measurements", "POST /api/v1/slis/[redacted]/measurements"),
    (f"Authorization: Bearer {KEY}", "Authorization: Bearer [redacted]"),
    (f"X-Opsdesk-Key: {KEY}", "X-Opsdesk-Key: [redacted]"),
    (f'{{"routing_key": "{KEY}"}}', '{"routing_key": "[redacted]"}'),
    ("POST /api/v1/integrations/12/rotate-key", "POST /api/v1/integrations/12/rotate-key"),
    ("GET /api/v1/work-orders?state=new&limit=5", "GET /api/v1/work-orders?state=new&limit=5"),
])
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_the_filter_redacts_the_formatted_message_and_the_traceback() -> None:
    try:
        raise ValueError(f"bad path /api/v1/integrations/generic/{KEY}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "unexpected error on %s",
                                   (f"/api/v1/integrations/generic/{KEY}",), exc_info=True)
        record.exc_info = sys.exc_info()
    assert RedactFilter().filter(record)
    text = logging.Formatter().format(record)
    assert KEY not in text and "[redacted]" in text
