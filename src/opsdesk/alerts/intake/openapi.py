"""The intake's operations in the API's OpenAPI document (core.api.document_operations).

Alert intake (Alertmanager, Grafana, generic JSON, PagerDuty Events API v2) and change events
(PagerDuty Change Events, generic JSON) are plain Django views and the lean `opsdesk intake`
server, not Ninja operations, so they are described here by hand: request bodies as the adapters
in alerts.formats and alerts.change_events.formats accept them, answers as alerts.intake.answers
builds them.
"""

from __future__ import annotations

from typing import Any

from opsdesk.core.api import document_operations, problem_response

TAG = ["intake"]
REF = "#/components/schemas/"
TEXTS = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
LINKS = {
    "type": "array", "maxItems": 50, "description": "Links shown with the change.",
    "items": {"type": "object", "required": ["href"],
              "properties": {"href": {"type": "string", "minLength": 1}, "text": {"type": "string"}}},
}
CHANGE_FIELDS = {
    "summary": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "What changed."},
    "source": {"type": "string", "description": "Where the change happened or what made it (a label for the rules)."},
    "timestamp": {"type": "string", "format": "date-time", "description": "When it happened (default: when received)."},
    "custom_details": {"type": "object", "description": "Details; each one is a label the mapping rules read."},
}
SCHEMAS: dict[str, Any] = {
    "AlertmanagerWebhook": {
        "type": "object", "required": ["alerts"], "additionalProperties": True,
        "description": "Prometheus Alertmanager's webhook message (version 4); Grafana's adds title, message, ...",
        "properties": {
            "version": {"type": "string"}, "status": {"type": "string", "enum": ["firing", "resolved"]},
            "receiver": {"type": "string"}, "groupKey": {"type": "string"}, "externalURL": {"type": "string"},
            "alerts": {"type": "array", "items": {
                "type": "object", "additionalProperties": True,
                "properties": {
                    "status": {"type": "string", "enum": ["firing", "resolved"]}, "labels": TEXTS, "annotations": TEXTS,
                    "startsAt": {"type": "string"}, "endsAt": {"type": "string"},
                    "generatorURL": {"type": "string"}, "fingerprint": {"type": "string"},
                },
            }},
        },
    },
    "GenericAlert": {
        "type": "object", "required": ["key"], "additionalProperties": True,
        "description": 'One alert event of the generic JSON format, or {"events": [...]} (alerts.formats).',
        "properties": {
            "action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"], "default": "trigger"},
            "key": {"type": "string", "minLength": 1, "maxLength": 255}, "summary": {"type": "string"},
            "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
            "source": {"type": "string"}, "labels": TEXTS, "annotations": TEXTS, "details": {"type": "object"},
            "started_at": {"type": "string", "format": "date-time"}, "ended_at": {"type": "string", "format": "date-time"},
            "events": {"type": "array", "items": {"type": "object"}},
        },
    },
    "EventsV2Event": {
        "type": "object", "required": ["routing_key", "event_action"], "additionalProperties": True,
        "description": "A PagerDuty Events API v2 event; routing_key is the key of an events_v2 integration.",
        "properties": {
            "routing_key": {"type": "string", "minLength": 1},
            "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
            "dedup_key": {"type": "string", "maxLength": 255},
            "payload": {"type": "object", "required": ["summary", "source", "severity"], "properties": {
                "summary": {"type": "string"}, "source": {"type": "string"},
                "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"}, "component": {"type": "string"},
                "group": {"type": "string"}, "class": {"type": "string"}, "custom_details": {"type": "object"},
            }},
            "links": {"type": "array", "items": {"type": "object"}}, "images": {"type": "array", "items": {"type": "object"}},
            "client": {"type": "string"}, "client_url": {"type": "string"},
        },
    },
    "PagerDutyChangeEvent": {
        "type": "object", "required": ["routing_key", "payload"], "additionalProperties": True,
        "description": "A PagerDuty Change Event; routing_key is the key of an events_v2 integration.",
        "properties": {
            "routing_key": {"type": "string", "minLength": 1},
            "payload": {"type": "object", "required": ["summary"], "properties": CHANGE_FIELDS},
            "links": LINKS,
        },
    },
    "GenericChangeEvent": {
        "type": "object", "required": ["summary"], "additionalProperties": True,
        "description": "A change event of opsdesk's generic form: PagerDuty's payload fields, flat.",
        "properties": {**CHANGE_FIELDS, "links": LINKS},
    },
    "AlertsAccepted": {
        "type": "object", "required": ["status", "alerts"],
        "properties": {"status": {"const": "accepted"}, "alerts": {"type": "integer", "minimum": 0}},
    },
    "EventsV2Answer": {
        "type": "object", "required": ["status", "message"], "additionalProperties": True,
        "properties": {"status": {"type": "string"}, "message": {"type": "string"}, "dedup_key": {"type": "string"},
                       "errors": {"type": "array", "items": {"type": "string"}}},
    },
    "ChangeEventAccepted": {
        "type": "object", "required": ["status", "id", "duplicate", "change"],
        "properties": {
            "status": {"const": "accepted"}, "id": {"type": "integer"},
            "duplicate": {"type": "boolean", "description": "The same event was accepted before (a retry): stored once."},
            "change": {"type": ["integer", "null"], "description": "The implemented standard change it was recorded as."},
        },
    },
}
SECURITY_SCHEMES = {
    "IntegrationBearer": {"type": "http", "scheme": "bearer", "description": "An integration key (odi_...)."},
    "IntegrationKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Opsdesk-Key",
                             "description": "An integration key, for senders that cannot set Authorization."},
}
HEADER_KEY: list[dict[str, list[str]]] = [{"IntegrationBearer": []}, {"IntegrationKeyHeader": []}]
KEY_PARAMETER = {"name": "key", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
                 "description": "The integration key."}
PD_ERRORS = {"description": "Refused (PagerDuty's error shape): {status, message, errors}.",
             "content": {"application/json": {"schema": {"$ref": REF + "EventsV2Answer"}}}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": REF + schema}}}}


def _operation(op_id: str, summary: str, body: str, accepted: dict[str, Any], errors: dict[str, Any],
               security: list[dict[str, list[str]]], path_key: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id, "summary": summary, "tags": TAG, "security": security,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF + body}}}},
        "responses": {"202": accepted, **errors},
    }
    if path_key:
        operation["parameters"] = [KEY_PARAMETER]
    return {"post": operation}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): problem_response(s) for s in statuses}


def _pagerduty_errors() -> dict[str, Any]:
    return {"400": PD_ERRORS, "413": PD_ERRORS, "503": PD_ERRORS}


def operations() -> dict[str, Any]:
    """{path: {"post": operation}} of every intake endpoint."""
    paths: dict[str, Any] = {}
    alert_kinds = {"alertmanager": ("Prometheus Alertmanager webhook", "AlertmanagerWebhook"),
                   "grafana": ("Grafana alerting webhook (optionally HMAC-signed)", "AlertmanagerWebhook"),
                   "generic": ("Generic JSON alert events", "GenericAlert")}
    for kind, (what, body) in alert_kinds.items():
        accepted = _json("AlertsAccepted", "Stored (committed) before this answer; processed by the worker.")
        errors = _problems(400, 401, 404, 413, 503)
        base = f"/api/v1/integrations/{kind}"
        paths[base] = _operation(f"intake_{kind}", f"{what}, key in a header", body, accepted, errors, HEADER_KEY, False)
        paths[base + "/{key}"] = _operation(f"intake_{kind}_key", f"{what}, key in the path", body, accepted, errors, [], True)
    paths["/v2/enqueue"] = _operation(
        "intake_events_v2", "PagerDuty Events API v2 (alerts)", "EventsV2Event",
        _json("EventsV2Answer", 'Stored: {"status": "success", "message": "Event processed", "dedup_key"}.'),
        _pagerduty_errors(), [], False)
    paths["/v2/change/enqueue"] = _operation(
        "intake_change_events_v2", "PagerDuty Change Events", "PagerDutyChangeEvent",
        _json("EventsV2Answer", 'Recorded: {"status": "success", "message": "Change event processed"}.'),
        _pagerduty_errors(), [], False)
    accepted = _json("ChangeEventAccepted", "Recorded (committed) before this answer; a retry is answered again, stored once.")
    errors = _problems(400, 401, 404, 413, 422, 503)
    base = "/api/v1/integrations/change-events"
    paths[base] = _operation("intake_change_events", "Generic change event, key in a header", "GenericChangeEvent",
                             accepted, errors, HEADER_KEY, False)
    paths[base + "/{key}"] = _operation("intake_change_events_key", "Generic change event, key in the path",
                                        "GenericChangeEvent", accepted, errors, [], True)
    return paths


document_operations(operations(), SCHEMAS, SECURITY_SCHEMES)
