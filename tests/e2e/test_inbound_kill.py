"""A message `opsdesk mail` acknowledged (250) survives kill -9 of the listener at once: the
worker (or `opsdesk mail --process-pending`) processes it afterwards.

A real `opsdesk mail` process on the test's database (SQLite file or PostgreSQL), a real SMTP
client; the listener is killed with SIGKILL right after the 250, before anything processed it.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests import factories as f
from tests.core.test_serve import free_port

from .peers import CLI, Database, Process, opsdesk, opsdesk_env

DOMAIN = "desk.example.test"


def _message(sender: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, f"desk@{DOMAIN}", subject
    msg["Message-ID"] = "<kill-test-1@client.example.test>"
    msg.set_content(body)
    return msg


@pytest.mark.django_db(transaction=True)
def test_acknowledged_message_survives_kill_9(tmp_path: Path, process_logs: Path):
    client = f.make_client(name="Acme")
    site = f.make_site(clients=[client], code="LON1", name="London One")
    f.make_user("service_desk")
    f.make_user("client", client=client, email="carol@acme.example")
    database = Database(tmp_path)
    env = opsdesk_env(tmp_path, database) | {"OPSDESK_MAIL_DOMAINS": DOMAIN}
    port = free_port()
    listener = Process("opsdesk mail", process_logs / "mail.log")
    listener.start([*CLI, "mail", "--port", str(port)], env, lambda text: f":{port}/" in text)

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("carol@acme.example")
        assert smtp.rcpt(f"desk@{DOMAIN}")[0] == 250
        code, answer = smtp.data(_message("carol@acme.example", "Cabling at LON1", "Please patch rack 4.").as_bytes())
        listener.kill()  # SIGKILL at once after the 250
    assert code == 250, answer

    rows = database.query("SELECT id, state FROM inbound_inboundmessage")
    assert [state for _id, state in rows] == ["received"]

    opsdesk(env, "worker", "--batch", "--interval", "0")
    rows = database.query("SELECT state, outcome, target_type, target_id FROM inbound_inboundmessage")
    assert len(rows) == 1 and rows[0][:3] == ("processed", "new_request", "workorder"), rows
    work = database.query("SELECT site_id, category, client_id FROM workorders_workorder WHERE id = %s", (rows[0][3],))
    assert work == [(site.pk, "cabling", client.pk)]
    # A second pass finds nothing to do: exactly one outcome.
    assert "nothing pending" in opsdesk(env, "mail", "--process-pending")
    assert len(database.query("SELECT id FROM workorders_workorder")) == 1
