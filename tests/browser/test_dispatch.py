"""Browser journey: a dispatcher opens the board of tomorrow's region day, builds a plan, sees the
engineer's row with the visit and the checker's "ok", accepts it, and finds the work dispatched."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from opsdesk.workorders.models import WorkOrder
from tests import factories as f
from tests.dispatch.test_pages import make_ready, next_weekday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(transactional_db: Any, settings: Any) -> dict[str, Any]:
    settings.OPSDESK_DISPATCH_SECONDS = 0.2
    f.clear_category_rules()
    region = f.make_region(code="UKS", name="UK South")
    client = f.make_client(name="Alpha Health")
    site = f.make_site(code="LON-A", name="London A", region=region, clients=[client], latitude=51.5, longitude=-0.12)
    engineer = f.make_engineer(region, name="Ana Field", user=f.make_user("engineer"), base_latitude=51.52, base_longitude=-0.1)
    f.give_skill(engineer, "fibre")
    f.give_access(engineer, site)
    w: dict[str, Any] = {
        "region": region, "client": client, "site": site, "engineer": engineer, "day": next_weekday(),
        "desk": f.make_user("service_desk"),
        "dispatcher": f.make_user("dispatcher", username="dispatch", password=PASSWORD, first_name="Dee", last_name="Spatch"),
    }
    w["wo"] = make_ready(w, "Swap the core switch PSU")
    return w


def test_build_and_accept_a_plan_on_the_board(page, live_server, sign_in, world):
    wo, engineer = world["wo"], world["engineer"]
    sign_in(page, "dispatch", PASSWORD)
    page.get_by_role("link", name="Dispatch", exact=True).click()
    page.wait_for_url(re.compile(r"/dispatch/$"))
    page.select_option("#id_region", "UKS")
    page.fill("#id_day", f"{world['day']:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/dispatch/\?region=UKS&day="))
    page.get_by_role("button", name="Build plan").click()
    page.wait_for_selector("text=proposed:")

    row = page.get_by_test_id(f"row-{engineer.pk}")
    assert "Ana Field" in row.inner_text()
    stop = row.get_by_test_id(f"stop-{wo.pk}")
    assert stop.is_visible()
    assert f"WO-{wo.pk}" in stop.inner_text() and "09:00–10:00" in stop.inner_text()
    assert page.get_by_test_id("checker").inner_text().strip() == "ok"
    assert page.get_by_test_id("plan-state").inner_text() == "Proposed"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dispatch-board.png"), full_page=True)

    page.get_by_role("button", name="Accept plan").click()
    page.wait_for_selector("text=accepted: its visits are dispatched")
    assert page.get_by_test_id("plan-state").inner_text() == "Accepted"
    page.screenshot(path=str(ARTIFACTS / "dispatch-board-accepted.png"), full_page=True)

    page.get_by_test_id(f"stop-{wo.pk}").click()
    page.wait_for_url(re.compile(rf"/work/{wo.pk}/$"))
    assert page.get_by_test_id("state").first.inner_text() == "Dispatched"
    assert WorkOrder.objects.get(pk=wo.pk).engineer_id == engineer.pk


def test_drag_a_visit_onto_another_engineer_checks_the_move(page, live_server, sign_in, world):
    from opsdesk.dispatch import services

    other = f.make_engineer(world["region"], name="Bo Other", base_latitude=51.4, base_longitude=-0.2)
    f.give_access(other, world["site"])  # but not the skill
    plan = services.propose_plan(world["region"].pk, world["day"], actor=world["dispatcher"])
    wo = world["wo"]
    sign_in(page, "dispatch", PASSWORD)
    page.goto(f"{live_server.url}/dispatch/?plan={plan.pk}")
    page.get_by_test_id(f"stop-{wo.pk}").drag_to(page.get_by_test_id(f"row-{other.pk}"))
    page.wait_for_selector("[data-testid=preview]")
    assert "Bo Other is not eligible" in page.get_by_test_id("preview").inner_text()
    assert plan.stops.get().engineer_id == world["engineer"].pk  # a check saves nothing
    page.screenshot(path=str(ARTIFACTS / "dispatch-drag-check.png"), full_page=True)
    page.get_by_test_id("confirm-move").get_by_role("button", name="Move").click()
    page.wait_for_selector("[data-testid=refused]")
    assert "The checker refuses this move" in page.get_by_test_id("refused").inner_text()
