"""The ingestion formats (alerts.formats): real payload shapes in, normalised signals out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.alerts import formats
from opsdesk.alerts.formats import InvalidEvent
from opsdesk.alerts.signals import SEVERITIES

from .factories import alertmanager, event, grafana


def check_signal(signal: dict[str, Any]) -> None:
    """Every signal, whatever its format, is what processing expects."""
    assert set(signal) == {"action", "key", "summary", "source", "severity", "labels", "annotations", "details",
                           "started_at", "ended_at"}
    assert signal["action"] in formats.ACTIONS
    assert isinstance(signal["key"], str) and 0 < len(signal["key"]) <= 255
    assert isinstance(signal["summary"], str) and len(signal["summary"]) <= 1024
    assert isinstance(signal["source"], str) and len(signal["source"]) <= 255
    assert signal["severity"] in SEVERITIES
    for name in ("labels", "annotations"):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in signal[name].items())
    assert isinstance(signal["details"], dict)
    for name in ("started_at", "ended_at"):
        if signal[name] is not None:
            assert dt.datetime.fromisoformat(signal[name]).tzinfo is not None
    assert orjson.loads(orjson.dumps(signal)) == signal


# --- Alertmanager ---------------------------------------------------------------------------------


def test_alertmanager_webhook_becomes_one_signal_per_alert() -> None:
    firing, resolved = formats.from_alertmanager(alertmanager())
    for s in (firing, resolved):
        check_signal(s)
    assert firing["action"] == "trigger" and resolved["action"] == "resolve"
    assert firing["key"] == "9f2d4c3b1a7e6d05"
    assert firing["summary"] == "Filesystem /var/lib/postgresql on db1.dc1 is 97% full"
    assert resolved["summary"] == "Filesystem /backup on db2.dc1 has 9% left."  # description when no summary
    assert (firing["severity"], resolved["severity"]) == ("critical", "warning")
    assert firing["source"] == "db1.dc1.example.net:9100"
    assert firing["labels"]["mountpoint"] == "/var/lib/postgresql"
    assert firing["annotations"]["runbook_url"].startswith("https://")
    assert firing["started_at"] == "2026-11-23T09:12:41.318424+00:00"  # nanoseconds cut to micro
    assert firing["ended_at"] is None  # Alertmanager's zero time
    assert resolved["ended_at"] == "2026-11-23T09:40:11.500000+00:00"
    assert firing["details"] == {
        "externalURL": "http://alertmanager.dc1.example.net:9093",
        "groupKey": '{}/{severity=~"critical|warning"}:{alertname="NodeFilesystemAlmostFull"}',
        "receiver": "opsdesk",
        "generatorURL": "http://prometheus.dc1.example.net:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
    }


@pytest.mark.parametrize(("word", "severity"), [
    ("critical", "critical"), ("page", "critical"), ("CRITICAL", "critical"), ("P1", "critical"),
    ("error", "error"), ("major", "error"), ("warning", "warning"), ("warn", "warning"), ("minor", "warning"),
    ("info", "info"), ("informational", "info"), ("none", "info"), (" Info ", "info"),
    ("whatever", "error"), ("", "error"), (None, "error"),
])
def test_severity_words_map_onto_four_severities(word: str | None, severity: str) -> None:
    labels = {"alertname": "X"} if word is None else {"alertname": "X", "severity": word}
    body = alertmanager(alerts=[{"status": "firing", "labels": labels}])
    assert formats.from_alertmanager(body)[0]["severity"] == severity


@pytest.mark.parametrize(("alert", "receiver", "summary", "source"), [
    ({"labels": {"alertname": "A", "instance": "h:9100", "job": "node"}, "annotations": {"summary": "S", "description": "D"}},
     "r", "S", "h:9100"),
    ({"labels": {"alertname": "A", "job": "node"}, "annotations": {"description": "D"}}, "r", "D", "node"),
    ({"labels": {"alertname": "A"}}, "r", "A", "r"),
    ({"labels": {}}, None, "Alertmanager alert", "alertmanager"),
])
def test_summary_and_source_fall_back_in_order(alert: dict[str, Any], receiver: str | None, summary: str, source: str) -> None:
    body = alertmanager(alerts=[{"status": "firing", **alert}], receiver=receiver)
    signal = formats.from_alertmanager(body)[0]
    check_signal(signal)
    assert (signal["summary"], signal["source"]) == (summary, source)


def test_without_fingerprint_the_key_is_a_hash_of_the_sorted_labels() -> None:
    def key(labels: dict[str, str]) -> str:
        return formats.from_alertmanager(alertmanager(alerts=[{"status": "firing", "labels": labels}]))[0]["key"]

    assert key({"a": "1", "b": "2"}) == key({"b": "2", "a": "1"})
    assert key({"a": "1", "b": "2"}) != key({"a": "1", "b": "3"})
    assert len(key({"a": "1"})) == 16


def test_alert_status_falls_back_to_the_group_status_and_odd_values_are_tolerated() -> None:
    body = alertmanager(status="resolved", alerts=[{
        "labels": {"alertname": "A", "port": 9100, "up": False, "gone": None},
        "startsAt": "yesterday", "endsAt": 5,
    }])
    signal = formats.from_alertmanager(body)[0]
    check_signal(signal)
    assert signal["action"] == "resolve"
    assert signal["labels"] == {"alertname": "A", "port": "9100", "up": "false"}
    assert signal["started_at"] is None and signal["ended_at"] is None


def test_an_empty_group_has_no_signals() -> None:
    assert formats.from_alertmanager(alertmanager(alerts=[])) == []


@pytest.mark.parametrize(("body", "error"), [
    ([1, 2], "The body must be a JSON object (an Alertmanager webhook message)"),
    ({"status": "firing"}, "'alerts' is missing or not a list"),
    ({"alerts": {"a": 1}}, "'alerts' is missing or not a list"),
    ({"alerts": ["x"]}, "alerts[0] must be an object"),
    ({"alerts": [{"status": "pending", "labels": {}}]}, "alerts[0].status must be 'firing' or 'resolved'"),
    ({"alerts": [{"labels": {}}]}, "alerts[0].status must be 'firing' or 'resolved'"),
    ({"alerts": [{"status": "firing", "labels": ["a"]}]}, "'alerts[0].labels' must be an object"),
    ({"alerts": [{"status": "firing", "labels": {"a": {"b": 1}}}]}, "'alerts[0].labels.a' must be a string"),
    ({"alerts": [{"status": "firing", "annotations": "x"}]}, "'alerts[0].annotations' must be an object"),
])
def test_alertmanager_messages_that_cannot_be_events_are_refused(body: Any, error: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        formats.from_alertmanager(body)
    assert error in refused.value.errors


def test_every_problem_is_listed_up_to_a_limit() -> None:
    body = {"alerts": [{"status": "x"}] * 50}
    with pytest.raises(InvalidEvent) as refused:
        formats.from_alertmanager(body)
    assert len(refused.value.errors) == formats.MAX_ERRORS


# --- Grafana --------------------------------------------------------------------------------------


def test_grafana_webhook_keeps_its_links_and_values() -> None:
    [signal] = formats.from_grafana(grafana())
    check_signal(signal)
    assert (signal["action"], signal["key"], signal["severity"]) == ("trigger", "57c6d9296de2ad39", "error")
    assert signal["summary"] == "CPU above 90% for 10 minutes"
    assert signal["source"] == "web-3.dc2.example.net"
    details = signal["details"]
    assert details["dashboardURL"] == "https://grafana.example.net/d/node?orgId=1"
    assert details["panelURL"].endswith("viewPanel=4")
    assert details["silenceURL"].startswith("https://grafana.example.net/alerting/silence/new")
    assert details["values"] == {"B": 93.4, "C": 1}
    assert details["valueString"].startswith("[ var='B'")
    assert (details["orgId"], details["state"]) == (1, "alerting")
    assert details["title"].startswith("[FIRING:1] High CPU")


def test_grafana_summary_falls_back_to_the_title() -> None:
    body = grafana(alerts=[{"status": "resolved", "labels": {}, "annotations": {}}])
    assert formats.from_grafana(body)[0]["summary"].startswith("[FIRING:1] High CPU")


# --- PagerDuty Events API v2 ----------------------------------------------------------------------


def test_events_api_trigger() -> None:
    signal = formats.from_events_v2(event())
    check_signal(signal)
    assert (signal["action"], signal["key"], signal["severity"]) == ("trigger", "samplekeyhere", "critical")
    assert signal["summary"] == "DISK at 99% on machine prod-datapipe03.example.com"
    assert signal["source"] == "prod-datapipe03.example.com"
    assert signal["labels"] == {"component": "mysql", "group": "prod-datapipe", "class": "disk",
                                "source": "prod-datapipe03.example.com"}
    assert signal["started_at"] == "2015-07-17T08:42:58.315000+00:00"
    assert signal["details"]["custom_details"]["load avg"] == 0.75
    assert signal["details"]["links"][0]["text"] == "Host page"
    assert signal["details"]["images"][0]["alt"] == "Disk graph"
    assert (signal["details"]["client"], signal["details"]["client_url"]) == (
        "Sample Monitoring Service", "https://monitoring.example.com")


def test_a_trigger_without_dedup_key_gets_a_new_one_each_time() -> None:
    body = event()
    del body["dedup_key"]
    first, second = formats.from_events_v2(body)["key"], formats.from_events_v2(body)["key"]
    assert len(first) == 32 and first != second


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_the_dedup_key(action: str) -> None:
    signal = formats.from_events_v2({"routing_key": "r", "event_action": action, "dedup_key": "k1"})
    check_signal(signal)
    assert (signal["action"], signal["key"]) == (action, "k1")


def test_a_long_summary_is_cut_not_refused() -> None:
    body = event()
    body["payload"]["summary"] = "x" * 5000
    assert len(formats.from_events_v2(body)["summary"]) == 1024


def _without(path: str) -> dict[str, Any]:
    body = event()
    *parents, last = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    del target[last]
    return body


def _with(path: str, value: Any) -> dict[str, Any]:
    body = event()
    *parents, last = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    target[last] = value
    return body


@pytest.mark.parametrize(("body", "error"), [
    ("not an object", "Event object is not a JSON object"),
    (_without("routing_key"), "'routing_key' is missing or blank"),
    (_with("routing_key", 12), "'routing_key' is missing or blank"),
    (_without("event_action"), "'event_action' is missing or blank"),
    (_with("event_action", "explode"), "Unknown event_action 'explode'"),
    (_with("event_action", ["trigger"]), "'event_action' must be a string"),
    (_with("dedup_key", 42), "'dedup_key' must be a string"),
    (_with("dedup_key", "k" * 256), "'dedup_key' is longer than 255 characters"),
    (_without("payload"), "'payload' is missing or not an object"),
    (_without("payload.summary"), "'payload.summary' is missing or blank"),
    (_with("payload.summary", "   "), "'payload.summary' is missing or blank"),
    (_without("payload.source"), "'payload.source' is missing or blank"),
    (_without("payload.severity"), "'payload.severity' is missing or blank"),
    (_with("payload.severity", "sev1"), "'payload.severity' is invalid ('sev1'; expected one of critical, error, warning, info)"),
    (_with("payload.timestamp", "last tuesday"), "'payload.timestamp' is not an ISO 8601 timestamp"),
    (_with("payload.component", 3), "'payload.component' must be a string"),
    (_with("links", "https://x"), "'links' must be a list"),
    (_with("client", {"name": "x"}), "'client' must be a string"),
    ({"routing_key": "r", "event_action": "resolve"}, "'dedup_key' is missing or blank (required to resolve)"),
    ({"routing_key": "r", "event_action": "acknowledge", "dedup_key": ""},
     "'dedup_key' is missing or blank (required to acknowledge)"),
])
def test_events_api_refusals_name_the_problem(body: Any, error: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        formats.from_events_v2(body)
    assert error in refused.value.errors


# --- generic JSON ---------------------------------------------------------------------------------


def test_generic_single_event_with_defaults() -> None:
    [signal] = formats.from_generic({"key": "backup-db1", "summary": "Nightly backup failed"})
    check_signal(signal)
    assert (signal["action"], signal["severity"], signal["source"]) == ("trigger", "error", "")


def test_generic_batch() -> None:
    signals = formats.from_generic({"events": [
        {"action": "trigger", "key": "a", "summary": "A", "severity": "Warning", "source": "cron@h1",
         "labels": {"service": "billing", "attempt": 3}, "details": {"exit_code": 2},
         "started_at": "2026-11-23T02:00:00"},
        {"action": "resolve", "key": "b", "ended_at": "2026-11-23T03:00:00+01:00"},
    ]})
    for s in signals:
        check_signal(s)
    assert [s["action"] for s in signals] == ["trigger", "resolve"]
    assert signals[0]["labels"] == {"service": "billing", "attempt": "3"}
    assert signals[0]["severity"] == "warning"
    assert signals[0]["started_at"] == "2026-11-23T02:00:00+00:00"
    assert signals[1]["ended_at"] == "2026-11-23T03:00:00+01:00"


@pytest.mark.parametrize(("body", "error"), [
    (["x"], "The body must be a JSON object (an event, or {\"events\": [...]})"),
    ({"events": "x"}, "'events' must be a list"),
    ({"events": [1]}, "'events[0]' must be an object"),
    ({"summary": "S"}, "'key' is missing or blank"),
    ({"key": "k"}, "'summary' is missing or blank"),
    ({"key": "k", "summary": "S", "action": "explode"}, "'action' must be one of trigger, acknowledge, resolve"),
    ({"key": "k", "summary": "S", "severity": "page"}, "'severity' must be one of critical, error, warning, info"),
    ({"key": "k", "summary": "S", "source": 1}, "'source' must be a string"),
    ({"key": "k", "summary": "S", "details": [1]}, "'details' must be an object"),
    ({"key": "k", "summary": "S", "started_at": "soon"}, "'started_at' is not an ISO 8601 timestamp"),
    ({"events": [{"key": "a", "summary": "A"}, {"key": "b"}]}, "'events[1].summary' is missing or blank"),
])
def test_generic_refusals_name_the_problem(body: Any, error: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        formats.from_generic(body)
    assert error in refused.value.errors


# --- any JSON value at all ------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
           | st.sampled_from(["firing", "resolved", "trigger", "resolve", "acknowledge", "critical", "0001-01-01T00:00:00Z",
                              "2026-11-23T09:00:00Z", "", " "]))
KNOWN_KEYS = st.sampled_from([
    "alerts", "status", "labels", "annotations", "fingerprint", "startsAt", "endsAt", "generatorURL", "receiver",
    "title", "values", "routing_key", "event_action", "dedup_key", "payload", "summary", "source", "severity",
    "timestamp", "component", "links", "client", "events", "key", "action", "details", "started_at", "ended_at",
])
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KNOWN_KEYS | st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)
ADAPTERS = [formats.from_alertmanager, formats.from_grafana, formats.from_generic,
            lambda obj: [formats.from_events_v2(obj)]]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON)
def test_no_json_value_raises_anything_but_invalid_event(value: Any) -> None:
    for adapt in ADAPTERS:
        try:
            signals = adapt(value)
        except InvalidEvent as exc:
            assert exc.errors and all(isinstance(e, str) for e in exc.errors)
            continue
        for signal in signals:
            check_signal(signal)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_samples_with_any_field_replaced_are_adapted_or_refused_cleanly(data: st.DataObject) -> None:
    for sample, adapt in ((alertmanager(), formats.from_alertmanager), (grafana(), formats.from_grafana),
                          (event(), lambda obj: [formats.from_events_v2(obj)])):
        target: Any = sample
        for _ in range(data.draw(st.integers(0, 3))):
            if isinstance(target, dict) and target:
                target = target[data.draw(st.sampled_from(sorted(target)))]
            elif isinstance(target, list) and target:
                target = target[data.draw(st.integers(0, len(target) - 1))]
        if isinstance(target, dict) and target:
            target[data.draw(st.sampled_from(sorted(target)))] = data.draw(JSON)
        try:
            signals = adapt(sample)
        except InvalidEvent:
            continue
        for signal in signals:
            check_signal(signal)  # type: ignore[arg-type]
