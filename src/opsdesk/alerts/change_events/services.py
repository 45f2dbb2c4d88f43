"""Change events: intake, mapping and recording of deploys and configuration pushes.

Two dialects, one path through here (the Django views of alerts.change_event_views on `opsdesk
serve`'s port, and the lean server `opsdesk intake`, which runs `deliver` in a thread):

- PagerDuty Change Events: `POST /v2/change/enqueue` with `routing_key` and `payload.summary`
  (required), `payload.source`, `payload.timestamp`, `payload.custom_details`, `links` [{href,
  text}]; answers 202 `{"status": "success", "message": "Change event processed"}`, errors in
  PagerDuty's `{"status", "message", "errors"}` shape; the key of an Events API v2 integration.
- Generic JSON: `POST /api/v1/integrations/change-events[/KEY]` with the same fields flat
  (`summary`, `source`, `timestamp`, `custom_details`, `links`); the key in the path, in
  `Authorization: Bearer` or `X-Opsdesk-Key` (alerts.intake.header_key); any active integration's
  key; problem details on error.

The event is committed before the answer (durable), in one transaction with what it leads to: the
integration's mapping rules read `source` and `custom_details` as labels and pick a service and a
site (else the integration's defaults); the event is recorded as an implemented standard change
(changes.recorded) and on the service's timeline. The SHA-256 of the event as sent (without the
routing key) is unique per integration, so a retry is answered 202 again and stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, transaction

from opsdesk.accounts.queries import active_staff
from opsdesk.changes import recorded
from opsdesk.core import timeline
from opsdesk.core.errors import DomainError
from opsdesk.core.events import publish

from . import intake, keys, rules
from .change_event_models import ChangeEvent
from .events import ChangeRecorded
from .formats import InvalidEvent, instant
from .intake import EVENTS_V2, Answer, Unavailable
from .models import Integration, MappingRule

PAGERDUTY, GENERIC = "pagerduty", "generic"
PAGERDUTY_PATH = "/v2/change/enqueue"
GENERIC_PATH = "/api/v1/integrations/change-events"
MAX_SUMMARY, MAX_SOURCE, MAX_LINKS, MAX_LABEL = 1024, 255, 50, 300
PROCESSED = {"status": "success", "message": "Change event processed"}


@dataclass(frozen=True)
class Reported:
    """One change event as sent, checked."""

    summary: str
    source: str
    happened_at: dt.datetime | None
    custom_details: dict[str, Any]
    links: list[dict[str, str]]
    digest: str


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


# --- parsing --------------------------------------------------------------------------------------


def _digest(document: dict[str, Any]) -> str:
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
    reported = check(document.get("payload"), "payload.", _digest(document))
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


# --- recording ------------------------------------------------------------------------------------


def map_targets(integration: Integration, labels: dict[str, str]) -> tuple[int | None, int | None]:
    """(service id, site id): the first matching rule of each kind, else the integration's defaults."""
    services: list[tuple[rules.Matcher, int]] = []
    sites: list[tuple[rules.Matcher, int]] = []
    for rule in MappingRule.objects.filter(integration=integration).order_by("position", "id"):
        matcher = rules.Matcher(rule.label, rule.operator, rule.value)
        if rule.service_id:
            services.append((matcher, rule.service_id))
        elif rule.site_id:
            sites.append((matcher, rule.site_id))
    return (rules.first_target(services, labels) or integration.default_service_id,
            rules.first_target(sites, labels) or integration.default_site_id)


def _owner(integration: Integration) -> Any:
    """Who owns the recorded change: the integration's owner, else the first active staff user."""
    from django.contrib.auth import get_user_model

    owner = active_staff(integration.owner_id)
    if owner is None:
        owner = get_user_model().objects.filter(is_active=True).exclude(role="client").order_by("id").first()
    return owner


@transaction.atomic
def record(integration: Integration, reported: Reported, received_at: dt.datetime) -> tuple[ChangeEvent, bool]:
    """Store the event (once per digest), mapped, as an implemented standard change and on the
    service's timeline; (the event, whether it is new)."""
    found = ChangeEvent.objects.filter(integration=integration, digest=reported.digest).first()
    if found is not None:
        return found, False
    labels = labels_of(reported)
    service_id, site_id = map_targets(integration, labels)
    event = ChangeEvent(
        integration=integration, client_id=integration.client_id, summary=reported.summary, source=reported.source,
        happened_at=reported.happened_at or received_at, received_at=received_at,
        custom_details=reported.custom_details, links=reported.links, labels=labels, digest=reported.digest,
        service_id=service_id, site_id=site_id,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # the same event, sent twice at once: the other one stored it
        return ChangeEvent.objects.get(integration=integration, digest=reported.digest), False
    actor = f"change event ({integration.name})"[:150]
    owner = _owner(integration)
    if owner is not None:
        event.change = recorded.record_implemented_change(
            title=reported.summary, description=_description(reported), at=event.happened_at, owner=owner,
            service_ids=[service_id] if service_id else [], site_ids=[site_id] if site_id else [], actor=actor,
            source=reported.source,
        )
        event.save(update_fields=["change"])
        # A deploy reported after the incident it caused opened still belongs in its "what changed".
        publish(ChangeRecorded(change_id=event.change.pk, service_ids=(service_id,) if service_id else (),
                               site_ids=(site_id,) if site_id else ()))
    if event.service is not None:
        timeline.record(event.service, "change_event", actor=actor, summary=f"Change: {reported.summary}"[:500],
                        changes={"change_event": [None, event.pk], "source": [None, reported.source]})
    return event, True


def _description(reported: Reported) -> str:
    lines = [f"Reported by {reported.source or 'a change event'}."]
    lines += [f"{k}: {v}" for k, v in labels_of(reported).items() if k != "source"]
    lines += [f"{link['text'] or link['href']}: {link['href']}" for link in reported.links]
    return "\n".join(lines)


# --- the intake -----------------------------------------------------------------------------------


def _refused(dialect: str, errors: list[str], status: int = 422) -> Answer:
    if dialect == PAGERDUTY:
        return intake.events_invalid(errors)
    return intake.problem(status, "Invalid change event", errors[0], errors)


def _find(dialect: str, key: str) -> Integration | None:
    integration = Integration.objects.filter(key_hash=keys.hash_key(key), active=True).first()
    if integration is not None and dialect == PAGERDUTY and integration.kind != Integration.Kind.EVENTS_V2:
        return None
    return integration


def _parse(dialect: str, body: bytes) -> tuple[str, Reported] | Answer:
    """(PagerDuty's routing key, or "", and the event), or the refusal."""
    try:
        document = intake.parse(body)
    except InvalidEvent as exc:
        return _refused(dialect, exc.errors, 400)
    try:
        if dialect == PAGERDUTY:
            return parse_pagerduty(document)
        return "", check(document, "", _digest(document) if isinstance(document, dict) else "")
    except InvalidEvent as exc:
        return _refused(dialect, exc.errors)


def _integration(dialect: str, path_key: str | None, body: bytes, header: Callable[[str], str | None]
                 ) -> tuple[Integration, Reported] | Answer:
    """The integration and the event. As the alert intake: the generic form's key is checked first
    (missing: 401, unknown: 404), PagerDuty's routing key after the body (unknown: 400)."""
    integration = None
    if dialect == GENERIC:
        key = path_key or intake.header_key(header) or ""
        if not key:
            return intake.problem(401, "Unauthorized", "The integration key is missing: send it as 'Authorization: "
                                  f"Bearer KEY' or '{intake.KEY_HEADER}: KEY', or in the path ({GENERIC_PATH}/KEY).")
        integration = _find(dialect, key)
        if integration is None:
            return intake.not_found("No active integration has this key.")
    parsed = _parse(dialect, body)
    if isinstance(parsed, Answer):
        return parsed
    routing_key, reported = parsed
    if dialect == PAGERDUTY:
        integration = _find(dialect, routing_key)
        if integration is None:
            return intake.events_invalid(["Invalid routing key"])
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
    except intake.TRANSIENT as exc:
        return intake.unavailable(kind, intake.reason(exc))
    except Unavailable as exc:
        return intake.unavailable(kind, str(exc))
    except DomainError as exc:  # the recorded change refused (e.g. a value the database cannot hold)
        return _refused(dialect, [exc.detail])
    if dialect == PAGERDUTY:
        return Answer(202, orjson.dumps(PROCESSED))
    return Answer(202, orjson.dumps({"status": "accepted", "id": event.pk, "duplicate": not new,
                                     "change": event.change_id}))
