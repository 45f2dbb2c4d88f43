"""Paging survives `kill -9` of the worker between escalation steps: a real `opsdesk worker` on the
test's database (a SQLite file, or PostgreSQL on that pass) pages a 3-step policy through a real
SMTP server (aiosmtpd); killed after step 1's email and restarted, it runs every step exactly once:
no step skipped, none doubled, one email per step."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from opsdesk.incidents import services as incidents
from opsdesk.paging.models import EscalationPolicy, EscalationStep
from tests import factories as f
from tests.paging.conftest import Inbox, free_port

from .peers import CLI, Database, Process, opsdesk_env, wait_for

WAIT_S = 4.0  # each step waits 4 s for an acknowledgement


@pytest.mark.django_db(transaction=True)
def test_killed_worker_skips_no_step_and_doubles_none(process_logs: Path) -> None:
    people = [f.make_user("engineer", username=name) for name in ("alice", "bob", "carol")]
    policy = EscalationPolicy.objects.create(name="Three steps", is_default=True)
    for i, who in enumerate(people):
        EscalationStep.objects.create(policy=policy, position=i, target_kind="person", person=who,
                                      wait_minutes=WAIT_S / 60)
    owner = f.make_user("incident_commander", username="owner")
    incident = incidents.declare_incident({"title": "EPR down", "severity": "sev1"}, actor=owner)
    database = Database(process_logs)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = opsdesk_env(process_logs, database) | {
        "OPSDESK_SMTP_HOST": "127.0.0.1", "OPSDESK_SMTP_PORT": str(smtp.port), "OPSDESK_EMAIL_ENABLED": "1"}
    worker = Process("opsdesk worker", process_logs / "worker.log")

    def pages() -> list[tuple[int, str, str]]:
        return [(p, s, k) for p, s, k in database.query(
            "SELECT position, state, idempotency_key FROM paging_page ORDER BY position, id")]

    def start() -> None:
        worker.start([*CLI, "worker", "--interval", "0.2", "--recover"], env, lambda _text: True)

    try:
        start()
        wait_for(pages, lambda rows: [(p, s) for p, s, _ in rows] == [(0, "sent")], "step 1 sent", timeout=30,
                 every=0.05)
        worker.kill()  # kill -9 between step 1 and step 2
        assert [r[0] for r in pages()] == [0]
        time.sleep(WAIT_S + 1)  # step 2 falls due while no worker runs
        start()
        wait_for(lambda: database.query("SELECT state FROM paging_escalation"), lambda rows: rows == [("exhausted",)],
                 "escalation exhausted", timeout=60)
        rows = pages()
        assert [(p, s) for p, s, _ in rows] == [(0, "sent"), (1, "sent"), (2, "sent")]
        assert len({k for _, _, k in rows}) == 3
        paged = [(rcpts, m) for rcpts, m in inbox.messages if m["Message-ID"].startswith("<paging.")]
        sent_to = Counter(r for rcpts, _ in paged for r in rcpts)
        assert sent_to == Counter(p.email for p in people), sent_to
        assert len({m["Message-ID"] for _, m in paged}) == 3
        # the owner heard that nobody acknowledged (the inbox's email, sent by its own task)
        wait_for(lambda: [r for rcpts, m in inbox.messages if "escalation exhausted" in m["Subject"] for r in rcpts],
                 lambda to: to == [owner.email], "the owner's notice", timeout=30)
        steps = [s for (s,) in database.query(
            "SELECT summary FROM core_activity WHERE object_id = %s AND verb = 'escalation' AND summary LIKE 'Step %%'",
            (incident.pk,))]
        assert sorted(s.split(":")[0] for s in steps) == ["Step 1", "Step 2", "Step 3"], steps
        worker.stop()
    finally:
        worker.kill()
        smtp.stop()
