"""Ingestion formats: what each kind of sender delivers, turned into Signals (alerts.signals).

Pure functions, no database: a parsed JSON document in, a list of `Signal` out, or `InvalidEvent`
naming every problem found. Anything a sender may legitimately vary (unknown severities, missing
optional fields, unreadable timestamps in machine-made payloads) is tolerated, because a refused
delivery is a lost alert: senders drop on 4xx. Only what cannot be an event is refused.

Generic JSON format (integrations of kind "generic"; for scripts and tools without a native format)
----------------------------------------------------------------------------------------------------
POST a JSON body to ``/api/v1/integrations/generic/{key}``: one event, or ``{"events": [...]}``::

    {"action": "trigger", "key": "backup-db1", "summary": "Nightly backup of db1 failed",
     "severity": "error", "source": "db1.example.net", "labels": {"service": "billing"},
     "details": {"exit_code": 2}, "started_at": "2026-11-23T02:00:00+00:00"}

``action``      "trigger" (default), "acknowledge" or "resolve".
``key``         required; identifies the alert within the integration (at most 255 characters).
                Repeated triggers with the same key update one alert; "resolve" closes it.
``summary``     required for "trigger"; what is wrong (cut at 1,024 characters).
``severity``    "critical", "error" (default), "warning" or "info".
``source``      where it happened, e.g. a host name (cut at 255 characters).
``labels``      an object of strings (numbers and booleans are turned into strings); mapping rules
                match them to services and sites.
``annotations`` an object of strings, shown with the alert.
``details``     any JSON object, kept with the alert.
``started_at``, ``ended_at``  ISO 8601 instants (UTC when no offset is given).

The answer is ``202 {"status": "accepted", "alerts": N}`` once the events are stored; errors are
RFC 9457 problem details (400 lists every problem in ``errors``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import orjson

from .signals import SEVERITIES, Action, Signal

MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_KEY = 255
MAX_ERRORS = 20  # problems listed in one refusal

ACTIONS = ("trigger", "acknowledge", "resolve")
WEBHOOK_ACTIONS: dict[str, Action] = {"firing": "trigger", "resolved": "resolve"}
ZERO_TIME = "0001-01-01"  # Go's zero time: Alertmanager's "no end yet"

# Severity words senders use, mapped onto ours (compared in lower case).
SEVERITY_WORDS = {
    **{w: "critical" for w in ("critical", "crit", "page", "fatal", "emergency", "emerg", "alert", "disaster", "p1", "sev1")},
    **{w: "error" for w in ("error", "err", "high", "major", "p2", "sev2")},
    **{w: "warning" for w in ("warning", "warn", "medium", "average", "minor", "p3", "sev3")},
    **{w: "info" for w in ("info", "informational", "information", "none", "low", "notice", "debug", "ok", "p4", "p5", "sev4", "sev5")},
}
WEBHOOK_DETAILS = ("externalURL", "groupKey", "receiver")
GRAFANA_DETAILS = ("orgId", "title", "state", "message")
GRAFANA_ALERT_DETAILS = ("silenceURL", "dashboardURL", "panelURL", "imageURL", "values", "valueString")
EVENTS_DETAILS = ("links", "images", "client", "client_url")


class InvalidEvent(Exception):
    """A delivery that cannot be turned into events; `errors` names each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors[:MAX_ERRORS]


def severity_of(value: object) -> str:
    """One of our four severities for a sender's word; "error" for anything unknown or missing."""
    if isinstance(value, str):
        return SEVERITY_WORDS.get(value) or SEVERITY_WORDS.get(value.strip().lower(), "error")
    return "error"


_instants: dict[str, str | None] = {}  # senders repeat the same instants (a group's startsAt, re-sends)


def instant(value: object) -> str | None:
    """An ISO 8601 instant with offset (UTC when none given); None when absent, zero or unreadable."""
    if not isinstance(value, str):
        return None
    known = _instants.get(value, "")
    if known != "":
        return known
    if not value or value.startswith(ZERO_TIME):
        normal = None
    else:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            normal = None
        else:
            normal = (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).isoformat()
    if len(_instants) >= 50_000:
        _instants.clear()
    _instants[value] = normal
    return normal


def labels_key(labels: dict[str, str]) -> str:
    """A stable key for an alert without a fingerprint: a hash of its sorted labels."""
    return hashlib.sha256(orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


_ONLY_STR = frozenset({str})


def _texts(value: object, where: str, errors: list[str], index: int = 0) -> dict[str, str]:
    """An object of strings (scalars stringified, nulls dropped); anything else is an error.
    `where` names the field for errors (formatted with `index`, only when there is one)."""
    if type(value) is dict and _ONLY_STR.issuperset(map(type, value.values())):
        return value  # the usual case: nothing to convert
    where = where.format(index)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"'{where}' must be an object")
        return {}
    out: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, str):
            out[str(name)] = item
        elif isinstance(item, bool):
            out[str(name)] = "true" if item else "false"
        elif isinstance(item, int | float):
            out[str(name)] = str(item)
        elif item is not None:
            errors.append(f"'{where}.{name}' must be a string")
    return out


def _text(value: object, limit: int) -> str:
    """A string field cut to its column's length ("" when not a string)."""
    return value[:limit] if isinstance(value, str) else ""


def _signal(action: str, key: str, summary: str, source: str, severity: str, labels: dict[str, str],
            annotations: dict[str, str], details: dict[str, Any], started_at: str | None,
            ended_at: str | None) -> Signal:
    return {
        "action": action,  # type: ignore[typeddict-item]  # checked by every caller
        "key": key, "summary": summary[:MAX_SUMMARY], "source": source[:MAX_SOURCE], "severity": severity,
        "labels": labels, "annotations": annotations, "details": details,
        "started_at": started_at, "ended_at": ended_at,
    }


# --- Alertmanager and Grafana ---------------------------------------------------------------------


def from_alertmanager(obj: object) -> list[Signal]:
    """Signals of a Prometheus Alertmanager webhook message (version 4)."""
    return _webhook(obj, grafana=False)


def from_grafana(obj: object) -> list[Signal]:
    """Signals of a Grafana alerting webhook message (version 1: Alertmanager's shape and more)."""
    return _webhook(obj, grafana=True)


def _webhook(obj: object, *, grafana: bool) -> list[Signal]:
    """Alertmanager-shaped messages: one signal per entry of `alerts`."""
    name = "Grafana" if grafana else "Alertmanager"
    if not isinstance(obj, dict):
        raise InvalidEvent([f"The body must be a JSON object (an {name} webhook message)"])
    alerts = obj.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidEvent(["'alerts' is missing or not a list"])
    shared = {k: obj[k] for k in WEBHOOK_DETAILS if isinstance(obj.get(k), str) and obj[k]}
    if grafana:
        shared.update({k: obj[k] for k in GRAFANA_DETAILS if obj.get(k) not in (None, "")})
    receiver = obj.get("receiver")
    fallback_source = receiver if isinstance(receiver, str) and receiver else name.lower()
    fallback_summary = _text(obj.get("title"), MAX_SUMMARY) if grafana else ""
    group_status = obj.get("status")
    errors: list[str] = []
    signals: list[Signal] = []
    for i, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            errors.append(f"alerts[{i}] must be an object")
            continue
        status = alert.get("status") or group_status
        action = WEBHOOK_ACTIONS.get(status) if isinstance(status, str) else None
        if action is None:
            errors.append(f"alerts[{i}].status must be 'firing' or 'resolved'")
            continue
        labels = _texts(alert.get("labels"), "alerts[{}].labels", errors, i)
        annotations = _texts(alert.get("annotations"), "alerts[{}].annotations", errors, i)
        fingerprint = alert.get("fingerprint")
        if isinstance(fingerprint, str) and fingerprint:
            key = fingerprint if len(fingerprint) <= MAX_KEY else hashlib.sha256(fingerprint.encode()).hexdigest()
        else:
            key = labels_key(labels)
        details = dict(shared)
        url = alert.get("generatorURL")
        if isinstance(url, str) and url:
            details["generatorURL"] = url
        if grafana:
            details.update({k: alert[k] for k in GRAFANA_ALERT_DETAILS if alert.get(k) not in (None, "")})
        summary = (annotations.get("summary") or annotations.get("description") or labels.get("alertname")
                   or fallback_summary or f"{name} alert")
        source = labels.get("instance") or labels.get("job") or fallback_source
        signals.append({  # _signal(), inlined: this loop is the hot path of batched deliveries
            "action": action, "key": key, "summary": summary[:MAX_SUMMARY], "source": source[:MAX_SOURCE],
            "severity": severity_of(labels.get("severity")), "labels": labels, "annotations": annotations,
            "details": details, "started_at": instant(alert.get("startsAt")), "ended_at": instant(alert.get("endsAt")),
        })
    if errors:
        raise InvalidEvent(errors)
    return signals


# --- PagerDuty Events API v2 ----------------------------------------------------------------------


def routing_key_of(obj: object) -> str | None:
    """The Events API routing key of a parsed body, if it has a usable one."""
    if isinstance(obj, dict):
        key = obj.get("routing_key")
        if isinstance(key, str) and key.strip():
            return key.strip()
    return None


def from_events_v2(obj: object) -> Signal:
    """The signal of one PagerDuty Events API v2 event; a trigger without dedup_key gets a new one."""
    if not isinstance(obj, dict):
        raise InvalidEvent(["Event object is not a JSON object"])
    errors: list[str] = []
    if routing_key_of(obj) is None:
        errors.append("'routing_key' is missing or blank")
    action = obj.get("event_action")
    if action is None or action == "":
        errors.append("'event_action' is missing or blank")
    elif not isinstance(action, str):
        errors.append("'event_action' must be a string")
    elif action not in ACTIONS:
        errors.append(f"Unknown event_action '{action[:100]}'")
    dedup_key = obj.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > MAX_KEY:
        errors.append(f"'dedup_key' is longer than {MAX_KEY} characters")
    payload = obj.get("payload")
    if action == "trigger":
        _check_trigger_payload(payload, errors)
        dedup_key = dedup_key or uuid.uuid4().hex
    elif action in ACTIONS and not dedup_key:
        errors.append(f"'dedup_key' is missing or blank (required to {action})")
    if payload is not None and not isinstance(payload, dict) and action != "trigger":
        errors.append("'payload' must be an object")
    for name in ("links", "images"):
        if obj.get(name) is not None and not isinstance(obj[name], list):
            errors.append(f"'{name}' must be a list")
    for name in ("client", "client_url"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            errors.append(f"'{name}' must be a string")
    if errors:
        raise InvalidEvent(errors)
    return _events_signal(obj, str(action), dedup_key or "", payload if isinstance(payload, dict) else {})


def _check_trigger_payload(payload: object, errors: list[str]) -> None:
    """PagerDuty's rules for a trigger's payload."""
    if not isinstance(payload, dict):
        errors.append("'payload' is missing or not an object")
        return
    for name in ("summary", "source"):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"'payload.{name}' is missing or blank")
    severity = payload.get("severity")
    if not isinstance(severity, str) or not severity:
        errors.append("'payload.severity' is missing or blank")
    elif severity.lower() not in SEVERITIES:
        errors.append(f"'payload.severity' is invalid ('{severity[:50]}'; expected one of {', '.join(SEVERITIES)})")
    timestamp = payload.get("timestamp")
    if timestamp is not None and (not isinstance(timestamp, str) or instant(timestamp) is None):
        errors.append("'payload.timestamp' is not an ISO 8601 timestamp")
    for name in ("component", "group", "class"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors.append(f"'payload.{name}' must be a string")


def _events_signal(obj: dict[str, Any], action: str, dedup_key: str, payload: dict[str, Any]) -> Signal:
    """An already checked event as a signal: component/group/class/source become labels."""
    labels = {k: payload[k] for k in ("component", "group", "class", "source") if isinstance(payload.get(k), str)}
    details = {k: obj[k] for k in EVENTS_DETAILS if obj.get(k) is not None}
    if payload.get("custom_details") is not None:
        details["custom_details"] = payload["custom_details"]
    severity = payload.get("severity")
    return _signal(
        action, dedup_key, _text(payload.get("summary"), MAX_SUMMARY), _text(payload.get("source"), MAX_SOURCE),
        severity.lower() if isinstance(severity, str) and severity.lower() in SEVERITIES else "error",
        labels, {}, details, instant(payload.get("timestamp")), None,
    )


# --- generic JSON ---------------------------------------------------------------------------------


def from_generic(obj: object) -> list[Signal]:
    """Signals of the generic JSON format (see the module docstring): one event or {"events": [...]}."""
    if isinstance(obj, dict) and "events" in obj:
        events = obj["events"]
        if not isinstance(events, list):
            raise InvalidEvent(["'events' must be a list"])
        prefix = "events[{}]."
    else:
        events, prefix = [obj], ""
    errors: list[str] = []
    signals = [_generic_event(event, prefix.format(i), errors) for i, event in enumerate(events)]
    if errors:
        raise InvalidEvent(errors)
    return [s for s in signals if s is not None]


def _generic_event(event: object, where: str, errors: list[str]) -> Signal | None:
    """One generic event, or None after noting its problems."""
    if not isinstance(event, dict):
        errors.append(f"'{where[:-1]}' must be an object" if where else "The body must be a JSON object (an event, or {\"events\": [...]})")
        return None
    before = len(errors)
    action = event.get("action", "trigger")
    if action not in ACTIONS:
        errors.append(f"'{where}action' must be one of {', '.join(ACTIONS)}")
    key = event.get("key")
    if not isinstance(key, str) or not key.strip():
        errors.append(f"'{where}key' is missing or blank")
    elif len(key) > MAX_KEY:
        errors.append(f"'{where}key' is longer than {MAX_KEY} characters")
    summary = event.get("summary")
    if action == "trigger" and (not isinstance(summary, str) or not summary.strip()):
        errors.append(f"'{where}summary' is missing or blank")
    elif summary is not None and not isinstance(summary, str):
        errors.append(f"'{where}summary' must be a string")
    severity = event.get("severity", "error")
    if not isinstance(severity, str) or severity.lower() not in SEVERITIES:
        errors.append(f"'{where}severity' must be one of {', '.join(SEVERITIES)}")
    source = event.get("source")
    if source is not None and not isinstance(source, str):
        errors.append(f"'{where}source' must be a string")
    labels = _texts(event.get("labels"), f"{where}labels", errors)  # `where` has no braces: format keeps it
    annotations = _texts(event.get("annotations"), f"{where}annotations", errors)
    details = event.get("details")
    if details is not None and not isinstance(details, dict):
        errors.append(f"'{where}details' must be an object")
    times = {}
    for name in ("started_at", "ended_at"):
        value = event.get(name)
        times[name] = instant(value)
        if value is not None and times[name] is None:
            errors.append(f"'{where}{name}' is not an ISO 8601 timestamp")
    if len(errors) > before:
        return None
    return _signal(
        str(action), str(key), _text(summary, MAX_SUMMARY), _text(source, MAX_SOURCE), str(severity).lower(),
        labels, annotations, details if isinstance(details, dict) else {}, times["started_at"], times["ended_at"],
    )
