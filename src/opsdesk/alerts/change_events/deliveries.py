"""A change event delivered over HTTP (the Django views and the lean `opsdesk intake`): the path's
dialect, the integration by key, the check, the record, and the answer (alerts.change_events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson

from opsdesk.core.errors import DomainError

from ..formats import InvalidEvent
from ..intake import answers, storage
from ..intake import deliveries as intake_deliveries
from ..intake.answers import EVENTS_V2, Answer
from ..intake.storage import Unavailable
from ..models import Integration
from . import queries
from .formats import Reported, check, digest, parse_pagerduty
from .services import record

PAGERDUTY, GENERIC = "pagerduty", "generic"
PAGERDUTY_PATH = "/v2/change/enqueue"
GENERIC_PATH = "/api/v1/integrations/change-events"
PROCESSED = {"status": "success", "message": "Change event processed"}


def route(path: str) -> tuple[str, str | None] | None:
    """(dialect, path key) for a change-event intake path; None for any other path."""
    if path == PAGERDUTY_PATH:
        return PAGERDUTY, None
    if path == GENERIC_PATH:
        return GENERIC, None
    if path.startswith(GENERIC_PATH + "/"):
        key = path[len(GENERIC_PATH) + 1 :]
        if key and "/" not in key:
            return GENERIC, key
    return None


def _refused(dialect: str, errors: list[str], status: int = 422) -> Answer:
    if dialect == PAGERDUTY:
        return answers.events_invalid(errors)
    return answers.problem(status, "Invalid change event", errors[0], errors)


def _find(dialect: str, key: str) -> Integration | None:
    return queries.find_integration(key, events_v2_only=dialect == PAGERDUTY)


def _parse(dialect: str, body: bytes) -> tuple[str, Reported] | Answer:
    """(PagerDuty's routing key, or "", and the event), or the refusal."""
    try:
        document = intake_deliveries.parse(body)
    except InvalidEvent as exc:
        return _refused(dialect, exc.errors, 400)
    try:
        if dialect == PAGERDUTY:
            return parse_pagerduty(document)
        return "", check(document, "", digest(document) if isinstance(document, dict) else "")
    except InvalidEvent as exc:
        return _refused(dialect, exc.errors)


def _integration(dialect: str, path_key: str | None, body: bytes, header: Callable[[str], str | None]
                 ) -> tuple[Integration, Reported] | Answer:
    """The integration and the event. As the alert intake: the generic form's key is checked first
    (missing: 401, unknown: 404), PagerDuty's routing key after the body (unknown: 400)."""
    integration = None
    if dialect == GENERIC:
        key = path_key or intake_deliveries.header_key(header) or ""
        if not key:
            return answers.problem(401, "Unauthorized", "The integration key is missing: send it as 'Authorization: "
                                   f"Bearer KEY' or '{intake_deliveries.KEY_HEADER}: KEY', or in the path "
                                   f"({GENERIC_PATH}/KEY).")
        integration = _find(dialect, key)
        if integration is None:
            return answers.not_found("No active integration has this key.")
    parsed = _parse(dialect, body)
    if isinstance(parsed, Answer):
        return parsed
    routing_key, reported = parsed
    if dialect == PAGERDUTY:
        integration = _find(dialect, routing_key)
        if integration is None:
            return answers.events_invalid(["Invalid routing key"])
    assert integration is not None
    return integration, reported


def deliver(dialect: str, path_key: str | None, body: bytes, header: Callable[[str], str | None],
            received_at: dt.datetime) -> Answer:
    """Check, find the integration, record and commit one change event; the answer to give."""
    kind = EVENTS_V2 if dialect == PAGERDUTY else GENERIC
    try:
        found = _integration(dialect, path_key, body, header)
        if isinstance(found, Answer):
            return found
        event, new = record(*found, received_at)
    except storage.TRANSIENT as exc:
        return answers.unavailable(kind, storage.reason(exc))
    except Unavailable as exc:
        return answers.unavailable(kind, str(exc))
    except DomainError as exc:  # the recorded change refused (e.g. a value the database cannot hold)
        return _refused(dialect, [exc.detail])
    if dialect == PAGERDUTY:
        return Answer(202, orjson.dumps(PROCESSED))
    return Answer(202, orjson.dumps({"status": "accepted", "id": event.pk, "duplicate": not new,
                                     "change": event.change_id}))
