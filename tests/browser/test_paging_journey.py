"""Browser journey of issue 19: the commander declares a SEV1 on Northgate Health's EPR in the demo;
the on-call engineer of the demo's "Northgate Health EPR 24×7" schedule is paged by email (captured
by a real SMTP server) while the responders' webhook gets the incident, verified by standardwebhooks;
the engineer acknowledges from the email link without signing in, and the escalation stops: the
incident's escalation page and timeline say so, and no second step is paged after its wait."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from opsdesk.channels import sending
from opsdesk.core import clock
from opsdesk.demo import loader
from opsdesk.incidents.models import Incident
from opsdesk.oncall import queries as oncall
from opsdesk.oncall.models import Schedule
from opsdesk.paging import services as paging
from opsdesk.paging.models import Escalation
from opsdesk.services.models import Service
from tests.channels.conftest import receiver  # noqa: F401 (fixture)
from tests.channels.factories import make_endpoint
from tests.channels.receiver import Receiver
from tests.core.test_notify import Inbox, smtp  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "opsdesk-demo"
TITLE = "EPR is not loading on the wards"


def test_sev1_pages_the_hospitals_on_call_and_the_email_link_stops_the_escalation(
        page, browser, live_server, sign_in, settings, smtp: Inbox, receiver: Receiver) -> None:  # noqa: F811
    settings.BASE_URL = live_server.url
    loader.load("small", 1)
    schedule = Schedule.objects.get(name="Northgate Health EPR 24×7")
    [engineer] = oncall.on_call(schedule, clock.now())
    epr = Service.objects.filter(client__code="northgate", name__icontains="EPR").order_by("id").first()
    assert epr is not None
    _, secret = make_endpoint(receiver.url("/responders"), name="Responders' bridge")
    receiver.secrets["/responders"] = secret

    # The commander declares the SEV1 through the page.
    sign_in(page, "commander", PASSWORD)
    page.goto(f"{live_server.url}/incidents/new/")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=severity]", "sev1")
    page.select_option("select[name=services]", str(epr.pk))
    page.get_by_role("button", name="Declare incident").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get(title=TITLE)
    assert Escalation.objects.get(incident=incident).policy.name == "Northgate EPR"

    # The worker's work: the first step pages the on-call engineer, the webhook goes out.
    opened = clock.now()
    paging.advance_due(opened)
    paging.send_due(opened)
    sending.deliver_due()
    pages = [(to, m) for to, m in smtp.messages if m["Subject"].startswith(f"[INC-{incident.pk}]")]
    assert [to for to, _ in pages] == [[engineer.email]], "the on-call engineer, once"
    assert pages[0][1]["Subject"] == f"[INC-{incident.pk}] SEV1 {TITLE}"
    opened_hooks = [r for r in receiver.on("/responders") if r.json["type"] == "incident.opened"]
    assert len(opened_hooks) == 1 and opened_hooks[0].verified is True, opened_hooks[0].problem if opened_hooks else ""
    assert opened_hooks[0].json["data"]["message"]["title"].endswith(TITLE)

    # The engineer opens the email's acknowledge link, signed out, and confirms.
    body = next(part.get_payload(decode=True).decode() for part in pages[0][1].walk()
                if part.get_content_type() == "text/plain")
    link = re.search(r"(http://\S+/paging/a/\S+/)\s", body)
    assert link is not None and "cknowledge" in body[max(0, link.start() - 60):link.start()], body
    engineer_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        mobile = engineer_context.new_page()
        mobile.goto(link.group(1))
        assert incident.title in mobile.content()
        incident.refresh_from_db()
        assert incident.state == "triggered", "opening the link changes nothing"
        mobile.get_by_role("button", name="Acknowledge").click()
        mobile.wait_for_load_state()
        assert "cknowledged" in mobile.content()
    finally:
        engineer_context.close()
    incident.refresh_from_db()
    assert incident.state == "acknowledged"

    # The commander sees the escalation stopped, on its page and on the incident's timeline.
    page.goto(f"{live_server.url}/paging/incidents/{incident.pk}/")
    text = page.locator("main").inner_text()
    assert "Escalation stopped: acknowledged by " + engineer.get_username() in text
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    assert "Escalation stopped: acknowledged by " + engineer.get_username() in page.content()
    assert f"Notified {engineer.get_username()} by email" in page.content()

    # After the step's wait nobody else is paged.
    later = opened + dt.timedelta(minutes=30)
    assert paging.advance_due(later) == 0 and paging.send_due(later) == 0
    assert len([1 for _, m in smtp.messages if m["Subject"].startswith(f"[INC-{incident.pk}]")]) == 1
