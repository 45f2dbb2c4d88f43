"""The alert intake (alerts.intake): through the Django views on the web port, and through a real
lean server (`opsdesk intake`) on the test's database."""

from __future__ import annotations

import hashlib
import http.client
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.alerts.intake import answers, deliveries, storage
from opsdesk.alerts.intake import queries as intake_queries
from opsdesk.alerts.models import RawEvent
from opsdesk.core import clock

from .factories import alertmanager, event, grafana, make_integration, sign
from .lean import Lean
from .test_formats import JSON as JSON_VALUES

JSON = "application/json"
BIG = b'{"alerts": [], "padding": "' + b"x" * (600 * 1024) + b'"}'


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type=JSON, headers=headers)


def digest(body: Any) -> str:
    return hashlib.sha256(body if isinstance(body, bytes) else json.dumps(body).encode()).hexdigest()


# --- the Django views (web port) ------------------------------------------------------------------


@pytest.mark.django_db
def test_events_api_trigger_is_stored_before_the_202(client: Client) -> None:
    integration, key = make_integration("events_v2")
    body = event(key)
    r = post(client, "/v2/enqueue", body)
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"}
    raw = RawEvent.objects.get()
    assert raw.integration_id == integration.pk and raw.processed_at is None
    assert raw.digest == digest(body)
    assert abs((raw.received_at - clock.now()).total_seconds()) < 60
    [signal] = raw.signals
    assert (signal["key"], signal["severity"], signal["labels"]["component"]) == ("samplekeyhere", "critical", "mysql")


@pytest.mark.django_db
def test_a_generated_dedup_key_is_returned_and_stored(client: Client) -> None:
    _, key = make_integration("events_v2")
    body = event(key)
    del body["dedup_key"]
    r = post(client, "/v2/enqueue", body)
    assert r.status_code == 202
    assert RawEvent.objects.get().signals[0]["key"] == r.json()["dedup_key"]


@pytest.mark.django_db
def test_events_api_refusals_are_400_in_pagerduty_shape(client: Client) -> None:
    _, key = make_integration("events_v2")
    _, other_kind = make_integration("alertmanager")
    _, inactive = make_integration("events_v2", active=False)
    bad_shape = event(key)
    del bad_shape["payload"]["summary"]
    cases = [
        (bad_shape, "'payload.summary' is missing or blank"),
        (b"{not json", "The body is not valid JSON"),
        (event("odi_unknown"), "Invalid routing key"),
        (event(other_kind), "Invalid routing key"),
        (event(inactive), "Invalid routing key"),
    ]
    for body, error in cases:
        r = post(client, "/v2/enqueue", body)
        assert r.status_code == 400, body
        answer = r.json()
        assert (answer["status"], answer["message"]) == ("invalid event", "Event object is invalid")
        assert any(e.startswith(error) for e in answer["errors"]), answer
    assert not RawEvent.objects.exists()


@pytest.mark.django_db
def test_webhooks_are_stored_and_count_their_alerts(client: Client) -> None:
    am, am_key = make_integration("alertmanager")
    gr, gr_key = make_integration("grafana")
    gen, gen_key = make_integration("generic")
    bodies = [
        (f"/api/v1/integrations/alertmanager/{am_key}", alertmanager(), 2),
        (f"/api/v1/integrations/grafana/{gr_key}", grafana(), 1),
        (f"/api/v1/integrations/generic/{gen_key}", {"events": [{"key": "a", "summary": "A"}, {"key": "b", "summary": "B"},
                                                                 {"key": "c", "action": "resolve"}]}, 3),
    ]
    for path, body, n in bodies:
        r = post(client, path, body)
        assert r.status_code == 202 and r.json() == {"status": "accepted", "alerts": n}
    stored = {raw.integration_id: raw for raw in RawEvent.objects.all()}
    assert [len(stored[i.pk].signals) for i in (am, gr, gen)] == [2, 1, 3]
    assert stored[gr.pk].signals[0]["details"]["dashboardURL"].startswith("https://grafana")


@pytest.mark.django_db
def test_an_empty_alert_group_is_accepted_without_storing(client: Client) -> None:
    _, key = make_integration("alertmanager")
    r = post(client, f"/api/v1/integrations/alertmanager/{key}", alertmanager(alerts=[]))
    assert r.status_code == 202 and r.json()["alerts"] == 0
    assert not RawEvent.objects.exists()


@pytest.mark.django_db
def test_webhook_refusals_are_problem_details(client: Client) -> None:
    _, key = make_integration("alertmanager")
    _, events_key = make_integration("events_v2")
    _, inactive = make_integration("alertmanager", active=False)
    cases = [
        (f"/api/v1/integrations/alertmanager/{key}x", alertmanager(), 404, None),
        (f"/api/v1/integrations/alertmanager/{events_key}", alertmanager(), 404, None),
        (f"/api/v1/integrations/grafana/{key}", grafana(), 404, None),
        (f"/api/v1/integrations/alertmanager/{inactive}", alertmanager(), 404, None),
        (f"/api/v1/integrations/alertmanager/{key}", b"[1,", 400, "body"),
        (f"/api/v1/integrations/alertmanager/{key}", {"alerts": [{"status": "pending"}]}, 400, "alerts[0].status"),
    ]
    for path, body, status, field in cases:
        r = post(client, path, body)
        assert r.status_code == status, (path, r.content)
        assert r["Content-Type"] == "application/problem+json"
        problem = r.json()
        assert problem["status"] == status and problem["detail"]
        if field:
            assert problem["errors"][0]["field"] == field
    r = client.get(f"/api/v1/integrations/alertmanager/{key}")
    assert r.status_code == 405 and r["Allow"] == "POST"
    assert not RawEvent.objects.exists()


@pytest.mark.django_db
def test_the_integrations_api_keeps_its_own_paths(client: Client) -> None:
    integration, _ = make_integration("alertmanager")
    r = client.post(f"/api/v1/integrations/{integration.pk}/rotate-key")
    assert r.status_code == 401  # the API's authentication, not the intake


@pytest.mark.django_db
def test_bodies_over_512_kb_are_413_even_when_the_site_allows_more(client: Client, settings: Any) -> None:
    _, key = make_integration("alertmanager")
    for limit in (settings.DATA_UPLOAD_MAX_MEMORY_SIZE, 10 * 1024 * 1024):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = limit
        assert post(client, f"/api/v1/integrations/alertmanager/{key}", BIG).status_code == 413
        assert post(client, "/v2/enqueue", BIG).status_code == 413
    assert not RawEvent.objects.exists()


@pytest.mark.django_db
def test_grafana_signatures(client: Client) -> None:
    signed, signed_key = make_integration("grafana", signed=True, timestamped=True)
    body_only, body_only_key = make_integration("grafana", signed=True)
    body = json.dumps(grafana()).encode()
    path = f"/api/v1/integrations/grafana/{signed_key}"
    assert post(client, path, body, **sign(signed, body)).status_code == 202
    assert post(client, f"/api/v1/integrations/grafana/{body_only_key}", body, **sign(body_only, body)).status_code == 202
    stale = sign(signed, body, timestamp=int(time.time()) - 600)
    tampered = sign(signed, body)
    refusals = [
        {},
        stale,
        {**tampered, "X-Grafana-Alerting-Signature": "0" * 64},
        {"X-Grafana-Alerting-Signature": sign(body_only, body)["X-Grafana-Alerting-Signature"]},  # no timestamp
        {**tampered, "X-Grafana-Alerting-Timestamp": "yesterday"},
        {**tampered, "X-Grafana-Alerting-Timestamp": "nan"},
    ]
    for headers in refusals:
        r = post(client, path, body, **headers)
        assert r.status_code == 401, headers
        assert r["Content-Type"] == "application/problem+json"
    assert RawEvent.objects.count() == 2


@pytest.mark.django_db
def test_nul_characters_are_dropped_so_every_database_stores_them(client: Client) -> None:
    _, key = make_integration("events_v2")
    body = event(key)
    body["payload"]["summary"] = "disk\u0000full"
    body["payload"]["custom_details"] = {"k\u0000": ["\u0000"]}
    assert post(client, "/v2/enqueue", body).status_code == 202
    [signal] = RawEvent.objects.get().signals
    assert signal["summary"] == "diskfull" and signal["details"]["custom_details"] == {"k": [""]}


@pytest.mark.django_db
def test_store_takes_many_rows_in_one_call() -> None:
    integration, _ = make_integration("alertmanager")
    now = clock.now()
    rows = [(integration.pk, now, json.dumps([{"key": str(i)}]), f"{i:064x}", 1) for i in range(2500)]
    storage.store(rows)
    assert RawEvent.objects.count() == 2500
    last = RawEvent.objects.order_by("id").last()
    assert last is not None and last.signals == [{"key": "2499"}] and last.size == 1


# --- the pure steps, with any body at all ---------------------------------------------------------

SOURCES = {kind: intake_queries.Source(i, kind, "", "", "") for i, kind in enumerate(("events_v2", *deliveries.ADAPTERS), 1)}
SIGNED = intake_queries.Source(9, "grafana", "X-Signature", "X-Timestamp", "ods_secret")


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(SOURCES)), body=st.binary(max_size=200) | JSON_VALUES.map(orjson.dumps),
       headers=st.dictionaries(st.sampled_from(["x-signature", "x-timestamp"]), st.text(max_size=70)))
def test_any_body_gets_an_answer_never_an_exception(kind: str, body: bytes, headers: dict[str, str]) -> None:
    located = deliveries.locate(kind, "odi_key", body)
    if isinstance(located, answers.Answer):
        assert located.status == 400 and kind == "events_v2"
        return
    for source in (SOURCES[kind], SIGNED if kind == "grafana" else None):
        result = deliveries.accept(located, source, body, lambda name: headers.get(name.lower()), clock.now())
        if isinstance(result, answers.Answer):
            assert result.status in (400, 401, 404)
            assert orjson.loads(result.body)
        else:
            assert result.answer.status == 202
            assert result.row is None or len(orjson.loads(result.row[2])) == result.signals


# --- the lean server (`opsdesk intake`) -----------------------------------------------------------


@pytest.fixture
def lean(transactional_db: None, tmp_path: Path) -> Any:
    server = Lean(tmp_path)
    yield server
    server.stop()


def test_lean_server_answers_only_after_the_commit(lean: Lean) -> None:
    events, events_key = make_integration("events_v2")
    am, am_key = make_integration("alertmanager")
    _, generic_key = make_integration("generic")
    lean.start()
    assert lean.get("/healthz")[0] == 200
    for i in range(5):  # a row exists the moment the 202 arrives
        body = event(events_key, dedup_key=f"k{i}")
        status, _, answer = lean.post("/v2/enqueue", body)
        assert (status, answer["dedup_key"]) == (202, f"k{i}")
        assert len(lean.rows()) == i + 1
    body = event(events_key)
    del body["dedup_key"]
    status, _, answer = lean.post("/v2/enqueue", body)
    assert status == 202 and lean.rows()[-1][1][0]["key"] == answer["dedup_key"] and len(answer["dedup_key"]) == 32

    def concurrent(i: int) -> bool:
        body = event(events_key, dedup_key=f"c{i}")
        status, _, _ = lean.post("/v2/enqueue", body)
        return status == 202 and lean.query("SELECT count(*) FROM alerts_rawevent WHERE digest = %s", (digest(body),)) == [(1,)]

    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(concurrent, range(48)))
    status, _, answer = lean.post(f"/api/v1/integrations/alertmanager/{am_key}", alertmanager())
    assert (status, answer) == (202, {"status": "accepted", "alerts": 2})
    assert lean.post(f"/api/v1/integrations/generic/{generic_key}", {"key": "g", "summary": "G"})[0] == 202
    rows = lean.rows()
    assert len(rows) == 6 + 48 + 2
    assert rows[-2][0] == am.pk and [s["action"] for s in rows[-2][1]] == ["trigger", "resolve"]
    assert {r[0] for r in rows[:54]} == {events.pk}


def test_lean_server_refusals(lean: Lean) -> None:
    _, events_key = make_integration("events_v2")
    _, am_key = make_integration("alertmanager")
    signed, signed_key = make_integration("grafana", signed=True, timestamped=True)
    lean.start()
    bad = event(events_key)
    bad["payload"]["severity"] = "loud"
    status, _, answer = lean.post("/v2/enqueue", bad)
    assert status == 400 and answer["status"] == "invalid event" and "'payload.severity' is invalid" in answer["errors"][0]
    assert lean.post("/v2/enqueue", event("odi_nobody"))[2]["errors"] == ["Invalid routing key"]
    status, headers, problem = lean.post(f"/api/v1/integrations/alertmanager/{am_key}nope", alertmanager())
    assert (status, headers["content-type"], problem["status"]) == (404, "application/problem+json", 404)
    assert lean.post(f"/api/v1/integrations/alertmanager/{am_key}", b"{")[0] == 400
    assert lean.post(f"/api/v1/integrations/alertmanager/{am_key}", BIG)[0] == 413
    assert lean.post("/v2/enqueue", BIG)[0] == 413
    assert lean.post("/api/v1/integrations/nagios/x", {})[0] == 404
    assert lean.get(f"/api/v1/integrations/alertmanager/{am_key}")[0] == 405
    body = json.dumps(grafana()).encode()
    path = f"/api/v1/integrations/grafana/{signed_key}"
    assert lean.post(path, body, sign(signed, body))[0] == 202
    assert lean.post(path, body, sign(signed, body, timestamp=int(time.time()) - 400))[0] == 401
    assert lean.post(path, body, {**sign(signed, body), "X-Grafana-Alerting-Signature": "sha256=" + "a" * 64})[0] == 401
    assert lean.post(path, body)[0] == 401
    assert len(lean.rows()) == 1


def test_lean_server_and_views_answer_503_while_the_database_is_locked(lean: Lean) -> None:
    _, events_key = make_integration("events_v2")
    _, am_key = make_integration("alertmanager")
    lean.start()
    with lean.write_lock():
        status, headers, answer = lean.post("/v2/enqueue", event(events_key))
        assert (status, headers["retry-after"], answer["status"]) == (503, "1", "unavailable")
        status, headers, problem = lean.post(f"/api/v1/integrations/alertmanager/{am_key}", alertmanager())
        assert (status, headers["retry-after"], headers["content-type"]) == (503, "1", "application/problem+json")
        assert "busy" in problem["detail"]
        through_django = lean.post_through_django("/v2/enqueue", event(events_key))
        assert (through_django["status"], through_django["retry_after"]) == (503, "1")
        assert lean.get("/healthz")[0] == 200
    assert lean.rows() == []
    assert lean.post("/v2/enqueue", event(events_key))[0] == 202  # the sender's retry
    assert len(lean.rows()) == 1


def test_a_deactivated_or_rotated_key_stops_working_within_two_seconds(lean: Lean) -> None:
    first, first_key = make_integration("events_v2")
    second, second_key = make_integration("events_v2")
    lean.start()
    assert lean.post("/v2/enqueue", event(first_key))[0] == 202
    assert lean.post("/v2/enqueue", event(second_key))[0] == 202
    lean.query("UPDATE alerts_integration SET active = %s WHERE id = %s", (False, first.pk))
    lean.query("UPDATE alerts_integration SET key_hash = %s WHERE id = %s", ("0" * 64, second.pk))
    changed = time.monotonic()
    while time.monotonic() - changed < 5:
        if {lean.post("/v2/enqueue", event(k))[0] for k in (first_key, second_key)} == {400}:
            break
        time.sleep(0.1)
    assert time.monotonic() - changed < 2.5
    assert lean.post("/v2/enqueue", event(first_key))[2]["errors"] == ["Invalid routing key"]


def test_every_acknowledged_event_survives_kill_9_of_the_lean_server(lean: Lean) -> None:
    _, key = make_integration("events_v2")
    lean.start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def sender(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", lean.port, timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                status, _, _ = lean.post("/v2/enqueue", event(key, dedup_key=f"s{n}-{i}"), conn=conn)
            except (OSError, http.client.HTTPException):
                return  # the server is gone: not acknowledged
            if status == 202:
                acknowledged.append(f"s{n}-{i}")

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lean.proc is not None
    lean.proc.send_signal(signal.SIGKILL)
    lean.proc.wait()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acknowledged) >= 300
    stored = {s["key"] for _, signals, _ in lean.rows() for s in signals}
    assert set(acknowledged) <= stored, sorted(set(acknowledged) - stored)[:10]
