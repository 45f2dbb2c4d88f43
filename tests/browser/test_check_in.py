"""Browser: an engineer arrives three days before the visit's window. The check-in form (with the
device's location filled in by check-in.js) is refused without a reason, naming the window and the
tolerance in the site's time; with a reason it is accepted, and the visit shows the reason and the
distance flag."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core import clock
from opsdesk.demo.data import H24
from opsdesk.workorders import services
from opsdesk.workorders.models import CategoryPolicy, Visit, WorkOrder
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def dispatched(transactional_db):
    f.clear_category_rules()
    CategoryPolicy.objects.create(category="cabling", checklist=["Cables run"])
    client = f.make_client(name="Orbit Logistics")
    region = f.make_region(code="EMEA", name="Europe")
    site = f.make_site(clients=[client], region=region, code="LON-DC1", name="London Docklands DC1",
                       latitude=51.5074, longitude=-0.1278)
    user = f.make_user("engineer", username="dana", password=PASSWORD)
    engineer = f.make_engineer(region, name="Dana Whitfield", user=user,
                               working_hours={d: H24 for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    f.give_access(engineer, site)
    desk, dispatcher = f.make_user("service_desk"), f.make_user("dispatcher")
    day = clock.now().astimezone(LONDON).date() + dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)
    wo = services.create_work_order({
        "client": client.pk, "site": site.pk, "category": "cabling", "title": "Four Cat6A links",
        "window_start": start, "window_end": start + dt.timedelta(hours=2),
    }, actor=desk)
    for to in ("triage", "readiness"):
        wo = services.transition_work_order(wo, to, actor=desk, reason="go")
    services.assign(wo, engineer, actor=dispatcher)
    for to in ("ready", "scheduled", "dispatched"):
        wo = services.transition_work_order(wo, to, actor=dispatcher, reason="go")
    return wo


def test_check_in_three_days_early_needs_a_reason(page, live_server, sign_in, dispatched):
    wo = dispatched
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 51.5164, "longitude": -0.1278, "accuracy": 20})  # ~1 km north
    sign_in(page, "dana", PASSWORD)
    page.goto(f"{live_server.url}/work/{wo.pk}/check-in/")
    page.wait_for_selector("text=Location: shared")
    assert page.input_value("input[name=latitude]") == "51.516400"
    page.get_by_label("I have read the method statement").check()
    page.get_by_role("button", name="Check in now").click()
    errors = page.get_by_test_id("check-in-errors")
    window = f"{wo.window_start.astimezone(LONDON):%a %d %b %Y} 10:00–12:00"
    assert window in errors.inner_text() and "(Europe/London)" in errors.inner_text()
    assert "30 min early, 60 min late" in errors.inner_text()
    assert WorkOrder.objects.get(pk=wo.pk).state == "dispatched"
    page.wait_for_selector("text=Location: shared")
    page.get_by_label("I have read the method statement").check()
    page.get_by_label("Reason, if you are checking in").fill("The site asked us to survey the room early")
    page.get_by_role("button", name="Check in now").click()
    page.wait_for_url(re.compile(rf"/work/{wo.pk}/check-out/$"))
    visit = page.get_by_test_id("visit")
    assert "The site asked us to survey the room early" in visit.get_by_test_id("visit-outside-window").inner_text()
    assert visit.get_by_test_id("far-from-site").is_visible()
    saved = Visit.objects.get(work_order=wo)
    assert saved.far_from_site and saved.outside_window_reason == "The site asked us to survey the room early"
    assert WorkOrder.objects.get(pk=wo.pk).state == "on_site"
