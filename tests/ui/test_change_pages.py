"""Change pages: they render, they hide other clients' changes, they escape user text, the form
converts site-local times to UTC, and the actions call the lifecycle services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.changes import services
from opsdesk.changes.models import ChangeRequest
from tests import factories as f

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
START = dt.datetime(2030, 3, 10, 2, 0, tzinfo=dt.UTC)  # a Sunday


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def plans(**kw):
    return {
        "implementation_plan": kw.pop("implementation_plan", "Upgrade the firmware"),
        "verification_plan": kw.pop("verification_plan", "Check the dashboards"),
        "rollback_plan": {"steps": "Reinstall the old firmware", "trigger": "Errors after 10 minutes", "duration_minutes": 20},
        **kw,
    }


@pytest.fixture
def world():
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    site_a = f.make_site(clients=[a], code="blr-a", time_zone="Asia/Kolkata", holiday_country="IN", holiday_subdivision="")
    site_l = f.make_site(clients=[a], code="lon-a", time_zone="Europe/London")
    site_b = f.make_site(clients=[b], code="nyc-b", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")
    svc_a, svc_b = f.make_service(a, sites=[site_a, site_l]), f.make_service(b, sites=[site_b])
    staff = f.make_user("service_desk")
    change_a = services.create_change(
        plans(type="normal", title=f"Alpha {XSS}", description=XSS, services=[svc_a.pk], sites=[site_a.pk, site_l.pk],
              window_start=START, window_end=START + dt.timedelta(hours=2), implementation_plan=f"Step {XSS}"),
        actor=staff,
    )
    change_b = services.create_change(
        plans(type="normal", title="Beta core switch", services=[svc_b.pk],
              window_start=START, window_end=START + dt.timedelta(hours=1)),
        actor=staff,
    )
    return {
        "a": a, "b": b, "site_a": site_a, "site_l": site_l, "site_b": site_b, "svc_a": svc_a, "svc_b": svc_b,
        "staff": staff, "change_a": change_a, "change_b": change_b,
        "user_a": f.make_user("client", client=a), "approver": f.make_user("change_approver"),
    }


def test_pages_render_for_staff(world):
    http = login(world["staff"])
    c = world["change_a"]
    for url in (
        reverse("changes:list"),
        reverse("changes:list") + "?state=draft&type=normal&region=" + world["site_a"].region.code,
        reverse("changes:detail", args=[c.pk]),
        reverse("changes:new"),
        reverse("changes:edit", args=[c.pk]),
        reverse("changes:calendar") + "?week=2030-03-06",
        reverse("changes:calendar") + f"?week=2030-03-06&site={world['site_a'].pk}",
    ):
        response = http.get(url)
        assert response.status_code == 200, url
        assert b"<script>alert" not in response.content, url


def test_detail_shows_each_site_local_window_and_viewer_zone(world):
    body = login(world["staff"]).get(reverse("changes:detail", args=[world["change_a"].pk])).content.decode()
    assert "Asia/Kolkata" in body and "UTC+05:30" in body and "Sun 10 Mar 2030, 07:30" in body
    assert "Europe/London" in body and "Sun 10 Mar 2030, 02:00" in body
    assert "Your time" in body
    assert ESCAPED in body  # title, description, plan
    assert "Criticality of the services" in body  # risk explained by component


def test_list_shows_first_site_local_time_and_more_sites(world):
    body = login(world["staff"]).get(reverse("changes:list")).content.decode()
    assert "blr-a" in body and "07:30–09:30" in body and "+1 site" in body
    assert ESCAPED in body


def test_client_user_sees_only_their_clients_changes(world):
    http = login(world["user_a"])
    assert http.get(reverse("changes:detail", args=[world["change_a"].pk])).status_code == 200
    assert http.get(reverse("changes:detail", args=[world["change_b"].pk])).status_code == 404
    assert http.get(reverse("changes:edit", args=[world["change_a"].pk])).status_code == 404
    assert http.get(reverse("changes:new")).status_code == 404
    for url in (reverse("changes:list"), reverse("changes:calendar") + "?week=2030-03-06"):
        body = http.get(url).content.decode()
        assert "Beta" not in body, url
    assert http.post(reverse("changes:transition", args=[world["change_b"].pk]), {"to": "cancelled"}).status_code == 404


def test_login_required(db):
    for url in ("/changes/", "/changes/calendar/", "/changes/new/"):
        response = HttpClient().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_query_count_is_bounded(world, django_assert_max_num_queries):
    for i in range(30):
        services.create_change(
            plans(title=f"Change {i}", services=[world["svc_a"].pk], window_start=START + dt.timedelta(days=i),
                  window_end=START + dt.timedelta(days=i, hours=1)),
            actor=world["staff"],
        )
    http = login(world["staff"])
    with django_assert_max_num_queries(20):
        assert http.get(reverse("changes:list")).status_code == 200
    with django_assert_max_num_queries(25):
        assert http.get(reverse("changes:calendar") + "?week=2030-03-13").status_code == 200


def form_data(world, **kw):
    data = {
        "type": "normal", "title": "Replace the WAN router", "description": "",
        "services": [world["svc_a"].pk], "sites": [world["site_a"].pk, world["site_l"].pk],
        "reference_site": world["site_a"].pk,
        "window_start": "2030-06-02T02:00", "window_end": "2030-06-02T04:30",
        "implementation_plan": "Swap the router", "verification_plan": "Ping the far end",
        "rollback_steps": "Swap back", "rollback_trigger": "No BGP after 10 minutes", "rollback_duration_minutes": "30",
    }
    data.update(kw)
    return data


def test_form_converts_site_local_time_to_utc(world):
    http = login(world["staff"])
    response = http.post(reverse("changes:new"), form_data(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ChangeRequest.objects.get(title="Replace the WAN router")
    # 02:00 in Asia/Kolkata (UTC+05:30) is 20:30 UTC the day before.
    assert change.window_start == dt.datetime(2030, 6, 1, 20, 30, tzinfo=dt.UTC)
    assert change.window_end == dt.datetime(2030, 6, 1, 23, 0, tzinfo=dt.UTC)
    assert change.rollback_plan == {"steps": "Swap back", "trigger": "No BGP after 10 minutes", "duration_minutes": 30}
    assert set(change.sites.values_list("code", flat=True)) == {"blr-a", "lon-a"}
    # Editing shows the window in the first affected site's local time again.
    body = http.get(reverse("changes:edit", args=[change.pk])).content.decode()
    assert 'value="2030-06-02T02:00"' in body


def test_form_default_reference_is_first_site_and_errors_are_shown(world):
    http = login(world["staff"])
    data = form_data(world, reference_site="", sites=[world["site_l"].pk], window_start="2030-06-02T02:00", window_end="2030-06-02T03:00")
    assert http.post(reverse("changes:new"), data).status_code == 302
    change = ChangeRequest.objects.get(title="Replace the WAN router")
    assert change.window_start == dt.datetime(2030, 6, 2, 1, 0, tzinfo=dt.UTC)  # London BST
    # A reversed window and a time the clocks skip are errors on the form, never a 500.
    response = http.post(reverse("changes:new"), form_data(world, window_end="2030-06-01T01:00"))
    assert response.status_code == 200 and "must end after it starts" in response.content.decode()
    skipped = form_data(world, reference_site=world["site_l"].pk, window_start="2030-03-31T01:30", window_end="2030-03-31T03:00")
    response = http.post(reverse("changes:new"), skipped)
    assert response.status_code == 200 and "does not exist in Europe/London" in response.content.decode()
    # A refusal from the service (a window longer than 31 days) lands on the form too.
    response = http.post(reverse("changes:new"), form_data(world, window_end="2030-08-02T02:00"))
    assert response.status_code == 200 and "lasts at most 31 days" in response.content.decode()


def test_actions_submit_approve_schedule_review(world):
    change = world["change_a"]
    owner, approver = login(world["staff"]), login(world["approver"])
    url = reverse("changes:transition", args=[change.pk])
    owner.post(url, {"to": "submitted", "reason": "ready"})
    change.refresh_from_db()
    assert change.state == "submitted"
    level = change.risk_level
    decide = reverse("changes:decide", args=[change.pk])
    response = owner.post(decide, {"decision": "approved", "capacity": "peer"}, follow=True)
    assert "approving (or rejecting) one&#x27;s own change is refused" in response.content.decode()
    approver.post(decide, {"decision": "approved", "capacity": "change_approver", "comment": "fine"})
    change.refresh_from_db()
    if level == "high":
        login(f.make_user("engineer")).post(decide, {"decision": "approved", "capacity": "peer"})
        login(world["user_a"]).post(decide, {"decision": "approved", "capacity": "client"})
        change.refresh_from_db()
    assert change.state == "approved", change.state
    for to in ("scheduled", "implementing"):
        owner.post(url, {"to": to})
    owner.post(url, {"to": "failed", "reason": "Firmware would not boot"})
    change.refresh_from_db()
    assert change.state == "failed"
    body = owner.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert "Post-implementation review" in body
    owner.post(reverse("changes:review", args=[change.pk]), {"outcome": "failed", "caused_incident": "on", "lessons": "Stage firmware first"})
    change.refresh_from_db()
    assert change.state == "reviewed" and change.caused_incident and change.lessons == "Stage firmware first"


def test_invalid_transition_is_a_message_not_an_error(world):
    http = login(world["staff"])
    response = http.post(reverse("changes:transition", args=[world["change_a"].pk]), {"to": "closed"}, follow=True)
    assert response.status_code == 200
    assert "cannot move from" in response.content.decode()


def test_calendar_places_change_in_viewer_zone_and_issues_feed_link(world):
    staff = world["staff"]
    staff.time_zone = "Asia/Kolkata"
    staff.save(update_fields=["time_zone"])
    services.transition_change(world["change_a"], "submitted", actor=staff)
    http = login(staff)
    body = http.get(reverse("changes:calendar") + "?week=2030-03-10").content.decode()
    assert "Mon 4 Mar – Sun 10 Mar 2030" in body
    assert f'data-change="{world["change_a"].pk}"' in body
    assert "07:30–09:30 Asia/Kolkata" in body and "02:00–04:00 Europe/London" in body
    response = http.post(reverse("changes:calendar-link"), {"site": str(world["site_a"].pk), "week": "2030-03-04"}, follow=True)
    body = response.content.decode()
    assert "/api/v1/calendars/changes.ics?site=" in body and "token=odk_" in body
    # Shown once.
    assert "token=odk_" not in http.get(reverse("changes:calendar")).content.decode()


def test_admin_pages_render(world, admin_user):
    http = login(admin_user)
    for path in ("changes/changerequest", "changes/approval", "changes/changewindow"):
        assert http.get(f"/admin/{path}/").status_code == 200, path
    assert http.get(f"/admin/changes/changerequest/{world['change_a'].pk}/change/").status_code == 200
