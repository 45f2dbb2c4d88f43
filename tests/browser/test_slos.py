"""Browser journey: the service desk opens the SLO list, sees which objective is in trouble in
words, opens it and finds its burn-rate rules and its charts drawn as SVG on the page."""

from __future__ import annotations

import re

import pytest

from opsdesk.core import clock
from tests import factories as f
from tests.slos.page_factories import fill, make_slo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def world(transactional_db):
    now = clock.now()
    client = f.make_client(name="Northgate Health")
    epr = f.make_service(client, name="EPR (electronic patient record)")
    healthy = make_slo(epr)
    burning = make_slo(epr, name="Latency under 800 ms", kind="latency", objective=0.95, latency_threshold_ms=800)
    fill(healthy, now, bad_share=lambda h: 0.0002)
    fill(burning, now, bad_share=lambda h: 0.9 if h < 6 else 0.01)
    f.make_user("service_desk", username="desk", password=PASSWORD)
    return {"healthy": healthy, "burning": burning}


def test_find_the_burning_slo_and_read_its_charts(page, live_server, sign_in, world):
    sign_in(page, "desk", PASSWORD)
    page.get_by_role("link", name="SLOs", exact=True).click()
    page.wait_for_url(re.compile(r"/slos/$"))
    rows = page.get_by_test_id("slo-rows")
    burning_row = rows.locator(f'tr[data-slo="{world["burning"].pk}"]')
    assert burning_row.get_by_test_id("slo-status").inner_text() == "Budget exhausted"
    assert rows.locator(f'tr[data-slo="{world["healthy"].pk}"]').get_by_test_id("slo-status").inner_text() == "Healthy"

    burning_row.get_by_role("link", name="Latency under 800 ms").click()
    page.wait_for_url(re.compile(rf"/slos/{world['burning'].pk}/$"))
    assert page.get_by_test_id("slo-status").inner_text() == "Budget exhausted"
    assert page.get_by_role("heading", name="Latency under 800 ms").is_visible()
    for chart in ("budget-chart", "burn-chart"):
        svg = page.get_by_test_id(chart).locator("svg.pygal-chart")
        svg.wait_for(state="visible")
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.get_by_test_id("burn-chart").locator("svg").inner_html().count("<path") > 2
    assert page.get_by_test_id("slo-rules").locator('tr[data-rule="page-fast"]').inner_text().strip().endswith("Fires")
