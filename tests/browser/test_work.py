"""Browser journey: a client requests work in the portal, the service desk triages it to readiness,
a blocker appears because the site's 72-hour access rule is not met, the desk records the access
approval, and the work order moves to ready."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core import clock
from opsdesk.demo.data import H24
from opsdesk.workorders.category_rules import seed_category_rules
from opsdesk.workorders.models import WorkOrder
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(transactional_db):
    seed_category_rules()
    client = f.make_client(name="Orbit Logistics")
    region = f.make_region(code="EMEA", name="Europe")
    site = f.make_site(clients=[client], region=region, code="LON-DC1", name="London Docklands DC1", time_zone="Europe/London")
    access = f.make_requirement(
        site, description="Send the Docklands security office an access request at least 72 hours ahead.", lead_time_hours=72,
    )
    engineer = f.make_engineer(region, name="Dana Whitfield", working_hours={d: H24 for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    f.give_access(engineer, site)
    client_user = f.make_user("client", client=client, username="orbit", password=PASSWORD, first_name="Ravi", last_name="Iyer")
    client_user.time_zone = "Asia/Kolkata"
    client_user.save(update_fields=["time_zone"])
    return {
        "site": site,
        "access": access,
        "desk": f.make_user("service_desk", username="desk", password=PASSWORD, first_name="Priya", last_name="Shah"),
        "client_user": client_user,
    }


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/"))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_request_triage_blocker_arrangement_ready(page, browser, live_server, sign_in, world):
    # Ten days ahead, 10:00–12:00 London time: the 72-hour access request is still in time.
    day = clock.now().astimezone(dt.UTC).date() + dt.timedelta(days=10)
    sign_in(page, "orbit", PASSWORD)
    page.get_by_role("link", name="Work", exact=True).click()
    page.wait_for_url(re.compile(r"/work/portal/"))
    page.select_option("#id_site", str(world["site"].pk))
    page.select_option("#id_category", "cabling")
    page.fill("#id_title", "Four new Cat6A links to the dispatch desks")
    page.fill("#id_description", "From patch panel PP-3 in the comms room to desks D1-D4.")
    page.fill("#id_window_start", f"{day:%Y-%m-%d}T10:00")
    page.fill("#id_window_end", f"{day:%Y-%m-%d}T12:00")
    # Only the chosen category's information fields are shown.
    assert page.locator("#id_info-cabling-cable_schedule").is_visible()
    assert not page.locator("#id_info-install-rack_location").is_visible()
    page.fill("#id_info-cabling-cable_schedule", "CS-12 rev B (4 × Cat6A, 35 m)")
    page.fill("#id_info-cabling-site_contact", "Sam Okoro, +44 20 7946 0000")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/work/portal/\d+/$"))
    wo = WorkOrder.objects.get(title="Four new Cat6A links to the dispatch desks")
    assert wo.window_start == dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Europe/London"))
    assert page.get_by_test_id("client-state").inner_text() == "Received"
    sign_out(page)

    sign_in(page, "desk", PASSWORD)
    page.get_by_role("link", name="Work", exact=True).click()
    page.wait_for_url(re.compile(r"/work/$"))
    row = page.locator(f"tr[data-wo='{wo.pk}']")
    assert "LON-DC1" in row.inner_text() and "Europe/London" in row.inner_text()
    shot(page, "work-queue.png")
    row.get_by_role("link", name=f"WO-{wo.pk}").click()
    page.wait_for_url(re.compile(rf"/work/{wo.pk}/$"))
    page.fill("#t-reason", "Cabling request, details complete")
    page.get_by_role("button", name="Start triage").click()
    page.wait_for_selector("text=is now triage")
    page.fill("#t-reason", "Triage done: check the site's rules")
    page.get_by_role("button", name="Check readiness").click()
    page.wait_for_selector("text=is now readiness")
    assert page.get_by_test_id("state").inner_text() == "Readiness"

    # The site's 72-hour access rule is not met yet: a blocker says what, who, by when and why.
    blocker = page.locator(f"[data-testid=blocker][data-key='requirement:{world['access'].pk}']")
    assert blocker.is_visible()
    text = blocker.inner_text()
    assert "72 hours" in text and "Europe/London" in text
    shot(page, "work-order-blocked.png")

    # Meanwhile the client reads it in plain language, in their own time zone and the site's.
    client_view = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    portal = client_view.new_page()
    sign_in(portal, "orbit", PASSWORD)
    portal.goto(f"{live_server.url}/work/portal/{wo.pk}/")
    line = portal.get_by_test_id("status-line").first.inner_text()
    assert "We are waiting for your site access approval, needed by" in line
    needed = wo.window_start - dt.timedelta(hours=72)
    assert f"{needed.astimezone(ZoneInfo('Asia/Kolkata')):%H:%M} Asia/Kolkata your time" in line
    assert f"{needed.astimezone(ZoneInfo('Europe/London')):%H:%M} Europe/London at the site" in line
    shot(portal, "work-portal-waiting.png")
    client_view.close()
    page.get_by_role("button", name="Mark ready").click()
    page.wait_for_selector(".msg-error")
    assert page.get_by_test_id("state").inner_text() == "Readiness"

    # Record the access approval: the blocker goes, and the work order moves to ready.
    arrangement = page.locator(f"tr[data-requirement='{world['access'].pk}']")
    arrangement.locator("select").select_option("approved")
    arrangement.locator("input[name=reference]").fill("SEC-2291")
    arrangement.get_by_role("button", name="Record").click()
    page.wait_for_selector("text=Arrangement recorded")
    assert page.locator(f"[data-testid=blocker][data-key='requirement:{world['access'].pk}']").count() == 0
    page.fill("#t-reason", "Everything arranged")
    page.get_by_role("button", name="Mark ready").click()
    page.wait_for_selector("text=is now ready")
    assert page.get_by_test_id("state").inner_text() == "Ready"
    shot(page, "work-order-ready.png")
    sign_out(page)

    sign_in(page, "orbit", PASSWORD)
    page.goto(f"{live_server.url}/work/portal/{wo.pk}/")
    assert page.get_by_test_id("client-state").inner_text() == "Ready to schedule"
    shot(page, "work-portal.png")
