"""A freeze that covers only part of the window, on a real database: the gate lets work through that
fits in the free part (saying where, in the API and on the page) and blocks work that does not
(saying why). WO-35's situation in the demo: 60 minutes, window 17:00-21:00, freeze 07:00-19:00."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock
from opsdesk.core.errors import Conflict
from opsdesk.sites.models import Site
from opsdesk.workorders import services
from tests import factories as f

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
CLINIC = "No change during clinic hours"
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def tue(hhmm: str) -> dt.datetime:
    """Tue 3 Mar 2026 in London (GMT, so the same as UTC)."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2026, 3, 3, h, m, tzinfo=UTC)


@pytest.fixture
def w():
    region = f.make_region()
    client = f.make_client()
    hosp = f.make_site(code="man-hosp", kind=Site.Kind.HOSPITAL, region=region, clients=[client])
    ChangeWindow.objects.create(kind="freeze", name=CLINIC, site=hosp, start_on=dt.date(2026, 1, 5),
                                start_time=dt.time(7), duration_minutes=720, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    engineer = f.make_engineer(region, working_hours=ALL_DAY)
    f.give_access(engineer, hosp)
    f.clear_category_rules()
    return {"client": client, "site": hosp, "desk": f.make_user("service_desk"), "dispatcher": f.make_user("dispatcher")}


def create(w, start: str, end: str, minutes: int):
    with clock.frozen(NOW):
        wo = services.create_work_order({
            "client": w["client"].pk, "site": w["site"].pk, "category": "cabling", "title": "Run copper",
            "window_start": tue(start), "window_end": tue(end), "estimated_minutes": minutes,
        }, actor=w["desk"])
        for to in ("triage", "readiness"):
            wo = services.transition_work_order(wo, to, actor=w["desk"], reason="next")
    return wo


def test_work_that_fits_after_the_freeze_is_not_blocked_and_says_where(w, api_for, client):
    wo = create(w, "17:00", "21:00", 60)
    assert not wo.blocked and wo.readiness["blockers"] == []
    note = f"Fits 19:00–21:00 after the freeze '{CLINIC}' (Tue 3 Mar 07:00–19:00 Europe/London) — plan it there."
    assert wo.readiness["notes"] == [note]
    with clock.frozen(NOW):
        wo = services.transition_work_order(wo, "ready", actor=w["desk"], reason="gate passes")
        answer = api_for(w["desk"]).get(f"work-orders/{wo.pk}/readiness").json()
        client.force_login(w["desk"])
        page = client.get(f"/work/{wo.pk}/").content.decode()
    assert wo.state == "ready"
    assert answer["ready"] is True and answer["blockers"] == [] and answer["notes"] == [note]
    assert 'data-testid="readiness-note"' in page and "Fits 19:00–21:00 after the freeze" in page


def test_a_free_part_too_short_for_the_work_blocks_with_the_true_reason(w):
    wo = create(w, "17:00", "19:30", 60)
    (blocker,) = wo.readiness["blockers"]
    assert (blocker["kind"], blocker["owner"]) == ("freeze", "dispatch") and wo.blocked
    assert blocker["detail"] == (
        f"man-hosp: the work (Tue 3 Mar 17:00–19:30 Europe/London) falls in the freeze '{CLINIC}' "
        "(Tue 3 Mar 07:00–19:00 Europe/London); the free part 19:00–19:30 is shorter than the 60 minutes the work needs."
    )
    assert wo.readiness["notes"] == []
    with clock.frozen(NOW), pytest.raises(Conflict):
        services.transition_work_order(wo, "ready", actor=w["desk"], reason="try")
