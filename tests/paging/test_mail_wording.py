"""The page a responder receives by email (real SMTP): today's text with no stored wording, the
stored "paging.page" wording once an administrator sets it, today's again after a reset."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.core.mailtemplates import services as wording
from opsdesk.paging import services
from opsdesk.paging.models import Page
from tests import factories as f

from .conftest import Inbox
from .helpers import T0, make_policy, open_incident, person

pytestmark = pytest.mark.django_db


def _old_body(page: Page, urls: dict[str, str]) -> str:
    """The page's body as deliver.email_body wrote it before the wording was data (with the reply hint)."""
    incident = page.escalation.incident
    lines = [
        f"Hello {page.person.get_full_name() or page.person.get_username()},", "",
        f"You are being paged for INC-{incident.pk}, a {incident.get_severity_display()} incident: {incident.title}.",
        incident.summary or "", "",
        "Please acknowledge it if you are taking it; otherwise the next person on the escalation will be paged.", "",
    ]
    lines += [f"{label}: {urls[action]}" for action, label in
              (("acknowledge", "Acknowledge"), ("escalate", "Escalate"), ("resolve", "Resolve"), ("open", "Open"))]
    lines += ["", "Each link works once and expires after a day. Acknowledging needs no login;",
              'you can also reply to this email with the single word "ack".']
    return "\n".join(lines)


def _text(message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n").removesuffix("\n")


def _page_alice(**incident: object) -> tuple[object, Page]:
    alice = f.make_user("engineer", username="alice", first_name="Alice", last_name="Archer", email="alice@example.test")
    make_policy(person(alice, wait=5))
    opened = open_incident(f.make_user("incident_commander"), **incident)
    with clock.frozen(T0):
        services.advance_due(T0)
    return opened, Page.objects.get(person=alice)


def _links(message) -> dict[str, str]:
    found = {}
    for line in _text(message).splitlines():
        label, _, url = line.partition(": ")
        if label in ("Acknowledge", "Escalate", "Resolve", "Open") and url.startswith("http"):
            found[label.lower()] = url
    return found


def test_an_empty_table_pages_with_todays_text(smtp: Inbox) -> None:
    incident, page = _page_alice(summary="Clinicians cannot open records.")
    with clock.frozen(T0):
        assert services.send_due(T0) == 1
    (to, message), = smtp.messages
    assert to == ["alice@example.test"]
    assert message["Subject"] == f"[INC-{incident.pk}] {incident.get_severity_display()} EPR down"
    assert _text(message) == _old_body(page, _links(message))


def test_stored_wording_changes_the_page_a_responder_receives_and_reset_restores_it(smtp: Inbox) -> None:
    admin = f.make_user("admin")
    wording.set_override("paging.page", "responders", actor=admin,
                         subject="PAGE {{ incident_ref }} ({{ severity }}): {{ title }}",
                         body="{{ person_name }}, you are on for {{ incident_ref }}.\n"
                              "Take it: {{ acknowledge_url }}\nStep {{ step }}, attempt {{ attempt }}.")
    incident, page = _page_alice()
    with clock.frozen(T0):
        services.send_due(T0)
    (_to, message), = smtp.messages
    assert message["Subject"] == f"PAGE INC-{incident.pk} ({incident.get_severity_display()}): EPR down"
    body = _text(message)
    assert body.startswith(f"Alice Archer, you are on for INC-{incident.pk}.\nTake it: http")
    assert body.endswith("Step 1, attempt 1.")
    assert "/paging/" in body.splitlines()[1]  # the one-click acknowledge link itself

    wording.reset("paging.page", "responders", actor=admin)
    later = T0 + dt.timedelta(minutes=1)
    second = open_incident(f.make_user("incident_commander"), at=later)
    with clock.frozen(later):
        services.advance_due(later)
        services.send_due(later)
    message = smtp.messages[-1][1]
    page = Page.objects.get(escalation__incident=second)
    assert message["Subject"] == f"[INC-{second.pk}] {second.get_severity_display()} EPR down"
    assert _text(message) == _old_body(page, _links(message))
