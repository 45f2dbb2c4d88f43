"""No acknowledged alert is lost or doubled when the lean intake, or processing, dies of SIGKILL.

Senders post as fast as they can to a real ``opsdesk intake``: Events API v2 events, each with its
own dedup_key, and Alertmanager webhook batches of alerts with their own fingerprints. They retry a
failed post a bounded number of times, with backoff, as real senders do, and note every event whose
delivery got a 2xx. Meanwhile the test kills the server with SIGKILL at random moments and restarts
it. Then:

- every acknowledged dedup_key / fingerprint is in a stored RawEvent (nothing acknowledged is lost);
- processing (``opsdesk integration process``), itself killed with SIGKILL mid-drain, then run to
  the end, makes exactly one alert per stored key (none lost, none doubled), keeps the alerts the
  killed run had committed, and puts each alert in one incident, with no incident left without
  alerts (the killed transaction left nothing half-made).

Runs on the test's database: SQLite (a file; WAL, synchronous=FULL) or PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from tests.alerts.factories import make_integration

from .peers import CLI, Database, Intake, Process, opsdesk, opsdesk_env, wait_for

SENDERS = 3  # threads posting at once, so deliveries share the intake's group commits
KILLS = 6
ATTEMPTS = 8  # tries per delivery before a sender gives up (backoff 0.05 s doubling to 1 s: ~4 s)
BATCH_EVERY = 5  # every fifth delivery of a sender is an Alertmanager batch ...
BATCH_ALERTS = 10  # ... of this many alerts
MIN_PENDING_FOR_KILL = 1200  # processing takes 500 events per transaction: several transactions to interrupt


class Sender(threading.Thread):
    """Posts deliveries back to back until stopped; records what got a 2xx."""

    def __init__(self, n: int, port: int, events_key: str, am_key: str, stop: threading.Event) -> None:
        super().__init__(name=f"sender-{n}", daemon=True)
        self.n, self.port, self.events_key, self.am_key, self.stop = n, port, events_key, am_key, stop
        self.acked: list[tuple[str, str]] = []  # (kind, key) of each event of an acknowledged delivery
        self.refused: list[tuple[int, bytes]] = []  # 4xx answers: a valid delivery must never get one
        self.gave_up = self.retries = self.deliveries = self.stored = 0
        self.conn: http.client.HTTPConnection | None = None

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            if i % BATCH_EVERY == 0:
                keys = [f"s{self.n}-am{i}-{j}" for j in range(BATCH_ALERTS)]
                kind, path, body = "alertmanager", f"/api/v1/integrations/alertmanager/{self.am_key}", _batch(keys)
            else:
                keys = [f"s{self.n}-ev{i}"]
                kind, path, body = "events_v2", "/v2/enqueue", _event(self.events_key, keys[0])
            if self.deliver(path, json.dumps(body).encode()):
                self.acked += [(kind, key) for key in keys]
                self.stored += 1
        if self.conn is not None:
            self.conn.close()

    def deliver(self, path: str, body: bytes) -> bool:
        """POST with retries (new connection after a failure); True on a 2xx."""
        self.deliveries += 1
        delay = 0.05
        for _ in range(ATTEMPTS):
            status = self.post(path, body)
            if status is not None and 200 <= status < 300:
                return True
            if status is not None and 400 <= status < 500 and status != 429:
                self.refused.append((status, body[:200]))
                return False
            self.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        self.gave_up += 1
        return False

    def post(self, path: str, body: bytes) -> int | None:
        """One attempt over a kept-alive connection; the status, or None when the server is gone."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = self.conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None


def _event(routing_key: str, dedup_key: str) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": f"Check {dedup_key} failed", "source": "crash-test", "severity": "error"}}


def _batch(fingerprints: list[str]) -> dict[str, Any]:
    return {
        "version": "4", "status": "firing", "receiver": "opsdesk", "groupKey": "{}:{alertname=\"Load\"}",
        "externalURL": "http://alertmanager.example.net:9093", "groupLabels": {"alertname": "Load"},
        "alerts": [{"status": "firing", "labels": {"alertname": "Load", "instance": fp},
                    "annotations": {"summary": f"Load high on {fp}"}, "startsAt": "2026-11-23T09:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp} for fp in fingerprints],
    }


def _alerts(database: Database) -> set[tuple[int, int, str]]:
    return {(i, integration, key) for i, integration, key in database.query(
        "SELECT id, integration_id, key FROM alerts_alert")}


def _counts(database: Database) -> tuple[int, int]:
    """(processed, pending) raw events."""
    [(processed, pending)] = database.query(
        "SELECT count(processed_at), count(*) - count(processed_at) FROM alerts_rawevent")
    return int(processed), int(pending)


@pytest.mark.django_db(transaction=True)
def test_acknowledged_alerts_survive_kill_9_of_intake_and_processing(process_logs: Path) -> None:
    began = time.monotonic()
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    client = f.make_client()
    service = f.make_service(client)
    f.make_user("admin")  # owns the incident
    events, events_key = make_integration("events_v2", client=client, default_service=service)
    am, am_key = make_integration("alertmanager", client=client, default_service=service)
    integration_of = {"events_v2": events.pk, "alertmanager": am.pk}
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database)
    intake = Intake(env, process_logs / "intake.log")
    stop = threading.Event()
    senders = [Sender(n, intake.port, events_key, am_key, stop) for n in range(SENDERS)]
    acked = lambda: sum(len(s.acked) for s in senders)  # noqa: E731
    intake.start_server()
    try:
        for sender in senders:
            sender.start()
        for kill in range(KILLS):
            before = acked()
            time.sleep(rng.uniform(0.3, 1.2))  # a random moment of the traffic
            wait_for(acked, lambda n, before=before: n > before,
                     f"deliveries acknowledged after (re)start {kill} (seed {seed})", timeout=30)
            intake.kill()
            intake.start_server()
        # Enough stored deliveries that processing takes several transactions (senders were in
        # backoff for much of the restarts).
        before = acked()
        wait_for(lambda: (acked(), sum(s.stored for s in senders)),
                 lambda n: n[0] > before + 50 and n[1] >= MIN_PENDING_FOR_KILL + 300,
                 "deliveries acknowledged after the last restart (events, deliveries)", timeout=30)
    finally:
        stop.set()
        for sender in senders:
            sender.join(timeout=30)
        code = intake.stop()
    assert code == 0, f"the intake did not stop cleanly ({code})"
    traffic = time.monotonic() - began
    report = (f"seed {seed}: {sum(s.deliveries for s in senders)} deliveries, {acked()} events acknowledged, "
              f"{sum(s.retries for s in senders)} retries, {sum(s.gave_up for s in senders)} given up, "
              f"{KILLS} kills in {traffic:.1f} s")
    print(report)
    assert not any(s.is_alive() for s in senders), report
    assert not [r for s in senders for r in s.refused], f"valid deliveries refused: {senders[0].refused[:3]} ({report})"

    # Nothing acknowledged is lost: each acknowledged key is in a stored RawEvent.
    acknowledged = {(integration_of[kind], key) for s in senders for kind, key in s.acked}
    assert len(acknowledged) == acked(), "a key was acknowledged twice: the senders' keys are unique"
    deliveries_of = Counter((integration, signal["key"]) for _, integration, signal in database.signals())
    stored = set(deliveries_of)
    print(f"{len(stored)} keys stored, {sum(n > 1 for n in deliveries_of.values())} of them twice or more "
          "(a retry after an answer lost to a kill)")
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]} ({report})"
    processed, pending = _counts(database)
    assert processed == 0 and pending >= MIN_PENDING_FOR_KILL, (
        f"{pending} raw events: too few to kill processing between its transactions ({report})")

    # Processing killed mid-drain leaves the committed batches and the pending rest.
    drain = Process("opsdesk integration process", process_logs / "process.log")
    drain.start([*CLI, "integration", "process"], env, ready=lambda _: True)
    state = wait_for(lambda: (*_counts(database), drain.running), lambda s: s[0] > 0 or not s[2],
                     "processing's first committed transaction", timeout=60, every=0.01)
    drain.kill()
    processed, pending = _counts(database)
    assert state[2] and pending > 0, f"processing finished before the kill ({processed} processed); more events needed"
    committed = _alerts(database)
    assert committed and len(committed) < len(stored), (len(committed), len(stored))

    # Processing again: every stored key is exactly one alert; nothing the killed run committed changed.
    out = opsdesk(env, "integration", "process", timeout=120)
    assert f"Processed {pending} accepted event(s)." in out, (out, pending)
    assert "Processed 0 accepted event(s)." in opsdesk(env, "integration", "process")
    assert _counts(database) == (processed + pending, 0)
    alerts = _alerts(database)
    keys = Counter((integration, key) for _, integration, key in alerts)
    doubled = [k for k, n in keys.items() if n > 1]
    assert not doubled, f"keys with more than one alert: {sorted(doubled)[:5]}"
    assert set(keys) == stored, (f"alerts without a stored event: {sorted(set(keys) - stored)[:5]}; "
                                 f"stored events without an alert: {sorted(stored - set(keys))[:5]}")
    assert committed <= alerts, f"alerts of the killed run changed: {sorted(committed - alerts)[:5]}"
    # A key delivered once counts 1 (its delivery was not applied twice); a retried one at most its deliveries.
    over = [(integration, key, n, deliveries_of[integration, key]) for integration, key, n in database.query(
        "SELECT integration_id, key, count FROM alerts_alert") if n > deliveries_of[integration, key]]
    assert not over, f"alerts counted more triggers than were delivered (integration, key, count, deliveries): {over[:5]}"

    # Correlation ran in the same transactions: each alert in the one incident, no empty incident.
    [(incidents, linked, unlinked)] = database.query(
        "SELECT (SELECT count(*) FROM incidents_incident), (SELECT count(*) FROM incidents_incidentalert), "
        "(SELECT count(*) FROM alerts_alert WHERE incident_id IS NULL)")
    assert (incidents, linked, unlinked) == (1, len(alerts), 0), (
        f"{incidents} incidents (1 expected), {linked} alerts linked to one and {unlinked} to none ({len(alerts)} alerts)")
    assert time.monotonic() - began < 90, f"took {time.monotonic() - began:.0f} s ({report})"
