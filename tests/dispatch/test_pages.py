"""The dispatch board, its forms (build, check, move, accept) and the engineer's calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock
from opsdesk.dispatch import services as dispatch_services
from opsdesk.dispatch.models import Plan
from opsdesk.workorders import services
from opsdesk.workorders.models import WorkOrder
from tests import factories as f

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"
LONDON = ZoneInfo("Europe/London")


def next_weekday() -> dt.date:
    day = clock.now().astimezone(LONDON).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def login(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def make_ready(w: dict[str, Any], title: str, start: str = "09:00", end: str = "12:00", **kw: Any) -> WorkOrder:
    day = w["day"]
    a = dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=LONDON)
    b = dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=LONDON)
    data = {
        "client": w["client"].pk, "site": w["site"].pk, "services": [], "category": "remote_hands", "title": title,
        "window_start": a, "window_end": b, "required_skills": ["fibre"], "estimated_minutes": 60, **kw,
    }
    wo = services.create_work_order(data, actor=w["desk"])
    for to in ("triage", "readiness", "ready"):
        wo = services.transition_work_order(wo, to, actor=w["desk"], reason="next")
    return wo


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    settings.OPSDESK_DISPATCH_SECONDS = 0.2
    f.clear_category_rules()
    region = f.make_region(code="UKS", name="UK South")
    client = f.make_client(name="Alpha Health")
    site = f.make_site(code="LON-A", name="London A", region=region, clients=[client], latitude=51.5, longitude=-0.12)
    engineer_user = f.make_user("engineer", first_name="Ana", last_name="Field")
    engineer = f.make_engineer(region, name="Ana Field", user=engineer_user, base_latitude=51.52, base_longitude=-0.1)
    f.give_skill(engineer, "fibre")
    f.give_access(engineer, site)
    other = f.make_engineer(region, name="Bo Other", base_latitude=51.4, base_longitude=-0.2)
    f.give_access(other, site)
    w = {
        "region": region, "client": client, "site": site, "engineer": engineer, "other": other, "day": next_weekday(),
        "desk": f.make_user("service_desk"), "dispatcher": f.make_user("dispatcher"),
        "client_user": f.make_user("client", client=client),
    }
    w["wo"] = make_ready(w, "Swap the core switch PSU")
    return w


def board_url(w: dict[str, Any]) -> str:
    return reverse("dispatch:board") + f"?region={w['region'].code}&day={w['day']:%Y-%m-%d}"


def build(w: dict[str, Any]) -> Plan:
    return dispatch_services.propose_plan(w["region"].pk, w["day"], actor=w["dispatcher"])


def test_board_renders_for_a_dispatcher_with_a_build_button(world):
    http = login(world["dispatcher"])
    body = http.get(reverse("dispatch:board")).content.decode()  # defaults: the first region, the next weekday
    assert "Dispatch board" in body and "Build plan" in body
    assert world["day"].strftime("%Y-%m-%d") in body
    assert "Times in Europe/London" in body
    assert 'href="/dispatch/"' in body  # the nav entry


def test_client_users_are_refused(world):
    plan = build(world)
    http = login(world["client_user"])
    assert http.get(reverse("dispatch:board")).status_code == 404
    assert http.get(reverse("dispatch:board") + f"?plan={plan.pk}").status_code == 404
    assert http.post(reverse("dispatch:build"), {"region": world["region"].code}).status_code == 404
    assert http.post(reverse("dispatch:accept", args=[plan.pk])).status_code == 404
    assert http.get(reverse("dispatch:schedule-ics", args=[world["engineer"].pk])).status_code == 404
    assert 'href="/dispatch/"' not in http.get("/").content.decode()


def test_build_plan_by_post_creates_a_plan_and_shows_the_stop(world):
    http = login(world["dispatcher"])
    response = http.post(reverse("dispatch:build"), {"region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}"}, follow=True)
    body = response.content.decode()
    plan = Plan.objects.get(region=world["region"], day=world["day"])
    assert plan.state == "proposed" and not plan.violations
    wo = world["wo"]
    assert f'data-testid="stop-{wo.pk}"' in body and f"WO-{wo.pk}" in body
    assert f'data-testid="row-{world["engineer"].pk}"' in body
    assert "09:00–10:00" in body  # the visit in the site's local time
    assert "Accept plan" in body and "Re-plan" in body
    assert 'data-testid="checker"><span class="badge badge-ok">ok' in body
    assert reverse("dispatch:schedule-ics", args=[world["engineer"].pk]) in body


def test_build_refused_for_a_desk_agent_is_a_message(world):
    http = login(world["desk"])
    response = http.post(reverse("dispatch:build"), {"region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}"}, follow=True)
    assert response.status_code == 200 and "msg-error" in response.content.decode()
    assert not Plan.objects.exists()


def test_accept_by_post_dispatches_the_work(world):
    plan = build(world)
    http = login(world["dispatcher"])
    body = http.post(reverse("dispatch:accept", args=[plan.pk]), follow=True).content.decode()
    plan.refresh_from_db()
    assert plan.state == "accepted"
    wo = WorkOrder.objects.get(pk=world["wo"].pk)
    assert wo.state == "dispatched" and wo.engineer_id == world["engineer"].pk
    assert 'data-testid="plan-state">Accepted' in body.replace("\n", "")
    assert "Accept plan" not in body
    # Accepting again is refused with the service's detail, not a 500.
    again = http.post(reverse("dispatch:accept", args=[plan.pk]), follow=True).content.decode()
    assert "only a proposed plan can be accepted" in again


def test_a_dry_run_move_shows_the_verdict_without_saving(world):
    plan = build(world)
    http = login(world["dispatcher"])
    wo, ana, bo = world["wo"], world["engineer"], world["other"]
    url = reverse("dispatch:move", args=[plan.pk])
    ok = http.post(url, {"work_order": wo.pk, "engineer": ana.pk, "position": "0", "action": "check"})
    assert ok.status_code == 200
    body = ok.content.decode()
    assert 'data-testid="preview"' in body and "Checker: ok" in body
    bad = http.post(url, {"work_order": wo.pk, "engineer": bo.pk, "action": "check"}).content.decode()
    assert 'data-testid="preview"' in bad and "verdict-bad" in bad and "Saving this move would be refused" in bad
    assert "Checker: 1 violation" in bad and "Bo Other is not eligible for WO-" in bad
    assert f'data-testid="row-{bo.pk}"' in bad and 'data-testid="confirm-move"' in bad
    # Nothing saved: the stop is still Ana's.
    assert plan.stops.get().engineer_id == ana.pk
    plan.refresh_from_db()
    assert not plan.violations and plan.solver != "adjusted"


def test_a_move_that_breaks_a_rule_shows_the_violations(world):
    plan = build(world)
    http = login(world["dispatcher"])
    wo, ana, bo = world["wo"], world["engineer"], world["other"]
    response = http.post(reverse("dispatch:move", args=[plan.pk]), {"work_order": wo.pk, "engineer": bo.pk, "action": "move"})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="refused"' in body and "The checker refuses this move" in body
    assert plan.stops.get().engineer_id == ana.pk


def test_a_valid_move_is_saved(world):
    plan = build(world)
    http = login(world["dispatcher"])
    wo = world["wo"]
    response = http.post(reverse("dispatch:move", args=[plan.pk]), {"work_order": wo.pk, "engineer": "", "action": "move"}, follow=True)
    body = response.content.decode()
    assert "moved out of the plan" in body
    plan.refresh_from_db()
    assert not plan.stops.exists() and plan.unassigned[0]["work_order"] == wo.pk
    assert 'data-testid="unassigned"' in body and "taken out of the plan" in body
    assert f'href="/work/{wo.pk}/"' in body


def test_the_ics_feed_has_the_stop(world):
    plan = dispatch_services.accept_plan(build(world), actor=world["dispatcher"])
    stop = plan.stops.get()
    url = reverse("dispatch:schedule-ics", args=[world["engineer"].pk])
    response = login(world["dispatcher"]).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert f"UID:plan-stop-wo{world['wo'].pk}@opsdesk" in body
    assert f"DTSTART:{stop.start_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in body
    assert f"DTEND:{stop.finish_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in body
    assert f"SUMMARY:WO-{world['wo'].pk} Swap the core switch PSU" in body
    assert "LON-A" in body
    # Calendar apps use a token in the URL; without one (and no session) it is 401.
    assert HttpClient().get(url).status_code == 401
    token = f.make_token(world["dispatcher"], scopes=["calendar"])
    assert HttpClient().get(url, {"token": token}).status_code == 200
    assert HttpClient().get(url, {"token": "odk_not-a-token"}).status_code == 401
    client_token = f.make_token(world["client_user"], scopes=["calendar"])
    assert HttpClient().get(url, {"token": client_token}).status_code == 404


def test_subscribe_link_shows_a_token_url_once(world):
    http = login(world["dispatcher"])
    board = board_url(world)
    response = http.post(reverse("dispatch:schedule-link", args=[world["engineer"].pk]), {"next": board}, follow=True)
    body = response.content.decode()
    assert 'data-testid="feed-url"' in body and "schedule.ics?token=" in body
    assert 'data-testid="feed-url"' not in http.get(board).content.decode()


def test_user_text_is_escaped(world):
    evil = make_ready(world, f"Evil {XSS}", start="13:00", end="16:00")
    build(world)
    body = login(world["dispatcher"]).get(board_url(world)).content.decode()
    assert f"WO-{evil.pk}" in body
    assert XSS not in body
    assert "&lt;script&gt;" in body


def test_a_replan_shows_what_it_moved_and_the_older_plans(world):
    first = dispatch_services.accept_plan(build(world), actor=world["dispatcher"])
    late = make_ready(world, "Patch the new rack", start="13:00", end="16:00")
    http = login(world["dispatcher"])
    body = http.post(reverse("dispatch:build"), {"region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}"}, follow=True).content.decode()
    assert 'data-testid="moved"' in body and f"WO-{late.pk}" in body and "added for Ana Field" in body
    assert 'data-testid="older"' in body and f"?plan={first.pk}" in body
    # The board of the day shows the accepted plan first; the proposed re-plan is among the others.
    board = http.get(board_url(world)).content.decode()
    assert f"Plan {first.pk}" in board and 'data-testid="plan-state">Accepted' in board


def test_a_site_in_another_zone_shows_its_local_time(world):
    paris = f.make_site(code="PAR-B", name="Paris B", region=world["region"], clients=[world["client"]],
                        time_zone="Europe/Paris", latitude=51.45, longitude=-0.15)
    f.give_access(world["engineer"], paris)
    wo = make_ready(world, "Audit the Paris cage", start="14:00", end="17:00", site=paris.pk)
    build(world)
    body = login(world["dispatcher"]).get(board_url(world)).content.decode()
    assert 'id="id_zone"' in body and "Europe/Paris" in body
    stop = Plan.objects.get().stops.get(work_order=wo)
    paris_time = stop.start_at.astimezone(ZoneInfo("Europe/Paris"))
    assert f"{paris_time:%H:%M}–" in body and f"{paris_time:%H:%M}" != f"{stop.start_at.astimezone(LONDON):%H:%M}"
    in_paris = login(world["dispatcher"]).get(board_url(world) + "&zone=Europe/Paris").content.decode()
    assert "Times in Europe/Paris" in in_paris


def test_marking_an_engineer_unavailable_records_the_absence_and_the_replan_moves_the_visit(world):
    plan = build(world)
    dispatch_services.accept_plan(plan, actor=world["dispatcher"])
    f.give_skill(world["other"], "fibre")
    http = login(world["dispatcher"])
    body = http.post(reverse("dispatch:unavailable", args=[world["engineer"].pk]), {
        "region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}", "from": "08:00", "reason": "called away <b>now</b>",
    }, follow=True).content.decode()
    absence = world["engineer"].absences.get()
    assert absence.start_at == dt.datetime.combine(world["day"], dt.time(8), tzinfo=LONDON)
    assert absence.end_at == dt.datetime.combine(world["day"] + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    assert absence.reason == "called away <b>now</b>" and "Re-plan to move their visits" in body
    body = http.post(reverse("dispatch:build"), {"region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}"},
                     follow=True).content.decode()
    replan = Plan.objects.filter(region=world["region"]).order_by("-id").first()
    assert replan.based_on_id == plan.pk
    assert replan.stops.get(work_order=world["wo"]).engineer_id == world["other"].pk
    assert f"WO-{world['wo'].pk}" in body and "<b>now</b>" not in body


def test_unavailable_with_a_bad_time_is_a_message(world):
    http = login(world["dispatcher"])
    body = http.post(reverse("dispatch:unavailable", args=[world["engineer"].pk]), {
        "region": world["region"].code, "day": f"{world['day']:%Y-%m-%d}", "from": "25:99",
    }, follow=True).content.decode()
    assert "HH:MM" in body and not world["engineer"].absences.exists()
    assert login(world["client_user"]).post(reverse("dispatch:unavailable", args=[world["engineer"].pk]), {}).status_code == 404
