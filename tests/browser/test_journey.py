"""Browser journey: a staff user finds a site's requirements and local time; a client user cannot
see another client's site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(transactional_db):
    ours, theirs = f.make_client(name="Northwell Health"), f.make_client(name="Meridian Bank")
    region = f.make_region(code="APAC", name="Asia Pacific")
    site = f.make_site(
        clients=[ours],
        region=region,
        code="SYD-DC1",
        name="Sydney Data Centre 1",
        time_zone="Australia/Sydney",
        holiday_country="AU",
        holiday_subdivision="NSW",
        address="12 Harbour Street\nSydney NSW 2000",
        latitude=-33.8688,
        longitude=151.2093,
    )
    f.make_requirement(
        site,
        kind="access_request",
        lead_time_hours=72,
        description="Book access with the operator 72 hours ahead",
    )
    f.make_requirement(
        site,
        kind="escort",
        lead_time_hours=24,
        categories=["hardware"],
        description="Escort by client security inside the hall",
    )
    f.make_requirement(
        site,
        kind="ppe",
        lead_time_hours=0,
        blocking=False,
        description="Safety boots in the loading bay",
    )
    other = f.make_site(
        clients=[theirs],
        code="NYC-COLO",
        name="New York Colo",
        time_zone="America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
    )
    epr = f.make_service(ours, name="Electronic Patient Record", sites=[site], criticality=4)
    f.depend(epr, f.make_service(ours, name="Storage array", sites=[site]))
    engineer = f.make_engineer(region, name="Mei Lin", time_zone="Australia/Sydney")
    f.give_access(engineer, site)
    return {
        "site": site,
        "other": other,
        "staff": f.make_user("dispatcher", username="dispatch1", password=PASSWORD),
        "client_user": f.make_user("client", client=ours, username="northwell", password=PASSWORD),
    }


def test_staff_sees_site_requirements_and_local_time(page, live_server, sign_in, world):
    sign_in(page, "dispatch1", PASSWORD)
    assert page.get_by_test_id("role").inner_text() == "Dispatcher"

    page.get_by_role("link", name="Sites", exact=True).click()
    page.wait_for_url(re.compile(r"/sites/$"))
    page.get_by_role("link", name="Sydney Data Centre 1").click()
    page.wait_for_url(re.compile(rf"/sites/{world['site'].pk}/$"))

    requirements = page.get_by_test_id("requirements")
    assert "Book access with the operator 72 hours ahead" in requirements.inner_text()
    assert "Escort by client security inside the hall" in requirements.inner_text()
    assert page.get_by_test_id("time-zone").inner_text() == "Australia/Sydney"
    local = page.get_by_test_id("local-time").inner_text()
    assert re.match(r"^\d{2}:\d{2}\b", local), local
    assert re.search(r"UTC\+1[01]:00", page.content())  # AEST or AEDT
    assert page.get_by_text("Mei Lin").is_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-detail.png"), full_page=True)


def test_client_user_cannot_open_another_clients_site(page, live_server, sign_in, world):
    sign_in(page, "northwell", PASSWORD)
    page.get_by_role("link", name="Sites", exact=True).click()
    assert page.get_by_role("link", name="Sydney Data Centre 1").is_visible()
    assert page.get_by_text("New York Colo").count() == 0
    response = page.goto(f"{live_server.url}/sites/{world['other'].pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"{live_server.url}/people/")
    assert response is not None and response.status == 404


def test_site_filters_work_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(f"{live_server.url}/login/")
        pg.fill("#id_username", "dispatch1")
        pg.fill("#id_password", PASSWORD)
        pg.click("button[type=submit]")
        pg.goto(f"{live_server.url}/sites/")
        pg.fill("#f-q", "Sydney")
        pg.get_by_role("button", name="Filter").click()
        pg.wait_for_url(re.compile(r"q=Sydney"))
        assert pg.get_by_role("link", name="Sydney Data Centre 1").is_visible()
        assert pg.get_by_text("New York Colo").count() == 0
    finally:
        context.close()
