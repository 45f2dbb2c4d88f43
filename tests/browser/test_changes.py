"""Browser journey: a change is drafted in a site's local time, submitted, approved and scheduled
through the pages, and then found on the calendar in the right week."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from opsdesk.changes import services
from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(transactional_db):
    client = f.make_client(name="Orbit Logistics")
    region = f.make_region(code="APAC", name="Asia Pacific")
    site = f.make_site(
        clients=[client], region=region, code="BLR-DC", name="Bengaluru DC",
        time_zone="Asia/Kolkata", holiday_country="IN", holiday_subdivision="",
    )
    london = f.make_site(clients=[client], code="LON-DC", name="London DC", time_zone="Europe/London")
    wms = f.make_service(client, name="Warehouse management", sites=[site, london], criticality=2)
    return {
        "site": site,
        "wms": wms,
        "owner": f.make_user("service_desk", username="owner", password=PASSWORD, first_name="Priya", last_name="Shah"),
        "approver": f.make_user("change_approver", username="approver", password=PASSWORD, first_name="Lars", last_name="Nilsson"),
        "peer": f.make_user("engineer", username="peer", password=PASSWORD),
        "client_user": f.make_user("client", client=client, username="orbit", password=PASSWORD),
    }


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/"))


def test_schedule_a_change_and_see_it_on_the_calendar(page, live_server, sign_in, world):
    # A Wednesday at least a week ahead, 02:00–04:00 in Bengaluru (20:30–22:30 UTC the day before).
    today = clock.now().astimezone(dt.UTC).date()
    day = today + dt.timedelta(days=7 + (2 - today.weekday()) % 7)
    sign_in(page, "owner", PASSWORD)
    page.get_by_role("link", name="Changes", exact=True).click()
    page.wait_for_url(re.compile(r"/changes/$"))
    page.get_by_role("link", name="New change").click()
    page.fill("#id_title", "Upgrade WMS database")
    page.select_option("#id_type", "normal")
    page.select_option("#id_services", [str(world["wms"].pk)])
    page.select_option("#id_sites", [str(world["site"].pk)])
    page.fill("#id_window_start", f"{day:%Y-%m-%d}T02:00")
    page.fill("#id_window_end", f"{day:%Y-%m-%d}T04:00")
    page.fill("#id_implementation_plan", "Apply the minor version upgrade to the standby, fail over, upgrade the primary.")
    page.fill("#id_verification_plan", "Pick and pack a test order end to end.")
    page.fill("#id_rollback_steps", "Fail back to the standby on the old version.")
    page.fill("#id_rollback_trigger", "Order flow errors above 1% for 5 minutes")
    page.fill("#id_rollback_duration_minutes", "20")
    page.get_by_role("button", name="Create change").click()
    page.wait_for_url(re.compile(r"/changes/\d+/$"))
    change = ChangeRequest.objects.get(title="Upgrade WMS database")
    assert change.window_start == dt.datetime.combine(day - dt.timedelta(days=1), dt.time(20, 30), tzinfo=dt.UTC)
    windows = page.get_by_test_id("site-windows").inner_text()
    assert "02:00" in windows and "Asia/Kolkata" in windows and "UTC+05:30" in windows

    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("text=is now submitted")
    assert page.get_by_test_id("state").inner_text() == "Submitted"
    sign_out(page)

    sign_in(page, "approver", PASSWORD)
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    page.select_option("#d-capacity", "change_approver")
    page.fill("#d-comment", "Standby first: good.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Your decision")
    change.refresh_from_db()
    if change.state != "approved":  # a high risk needs more people; they decide through the service
        services.decide(change, world["peer"], capacity="peer", decision="approved")
        services.decide(change, world["client_user"], capacity="client", decision="approved")
        page.reload()
    assert page.get_by_test_id("state").inner_text() == "Approved"
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_selector("text=is now scheduled")
    assert page.get_by_test_id("state").inner_text() == "Scheduled"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "change-detail.png"), full_page=True)

    page.get_by_role("link", name="On the calendar").click()
    page.wait_for_url(re.compile(r"/changes/calendar/\?week="))
    monday = (day - dt.timedelta(days=1)) - dt.timedelta(days=(day - dt.timedelta(days=1)).weekday())
    assert f"{monday:%-d %b}" in page.get_by_test_id("week-range").inner_text()
    item = page.locator(f"[data-testid=cal-item][data-change='{change.pk}']")
    assert item.is_visible()
    text = item.inner_text()
    assert "20:30–22:30" in text  # the approver's zone is UTC
    assert "02:00–04:00 Asia/Kolkata" in text
    column = item.locator("xpath=..").get_attribute("data-date")
    assert column == f"{day - dt.timedelta(days=1):%Y-%m-%d}"
    page.screenshot(path=str(ARTIFACTS / "change-calendar.png"), full_page=True)

    page.get_by_role("link", name="Next week →").click()
    assert page.locator(f"[data-testid=cal-item][data-change='{change.pk}']").count() == 0
