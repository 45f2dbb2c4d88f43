"""Work pages: they render for staff, hide other clients' work and internal comments from client users,
escape user text, keep the queue's query count bounded, turn refusals into messages, and the portal
converts the site's local time to UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock
from opsdesk.workorders import services
from opsdesk.workorders.category_rules import seed_category_rules
from opsdesk.workorders.models import Arrangement, Comment, WorkOrder
from tests import factories as f

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def window(days: int, hour: int = 10) -> tuple[dt.datetime, dt.datetime]:
    start = (clock.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(hours=2)


def request_data(client, site, **kw):
    start, end = window(kw.pop("days", 10))
    data = {
        "client": client.pk, "site": site.pk, "services": [], "category": "cabling",
        "title": "Run four new Cat6A links", "description": "From the comms room to the new desks.",
        "window_start": start, "window_end": end,
        "info": {"cable_schedule": "CS-12 rev B", "site_contact": "Sam, +44 20 7946 0000"},
    }
    data.update(kw)
    return data


@pytest.fixture
def world():
    seed_category_rules()
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    site_a = f.make_site(clients=[a], code="lon-a", time_zone="Europe/London")
    access = f.make_requirement(site_a, description="Access request 72 hours ahead", lead_time_hours=72)
    site_b = f.make_site(clients=[b], code="nyc-b", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")
    desk = f.make_user("service_desk", first_name="Priya", last_name="Shah")
    dispatcher = f.make_user("dispatcher")
    user_a = f.make_user("client", client=a)
    user_a.time_zone = "Asia/Kolkata"
    user_a.save(update_fields=["time_zone"])
    wo_a = services.create_work_order(
        request_data(a, site_a, title=f"Alpha {XSS}", description=XSS, info={"cable_schedule": XSS}), actor=user_a
    )
    wo_b = services.create_work_order(request_data(b, site_b, title="Beta trading floor patching"), actor=desk)
    services.add_comment(wo_a, f"Internal note {XSS} secret-margin", visibility="internal", actor=desk)
    services.add_comment(wo_a, "We booked the engineer", visibility="client", actor=desk)
    return {
        "a": a, "b": b, "site_a": site_a, "site_b": site_b, "access": access, "desk": desk,
        "dispatcher": dispatcher, "user_a": user_a, "wo_a": wo_a, "wo_b": wo_b,
    }


def test_pages_render_for_staff(world):
    http = login(world["desk"])
    wo = world["wo_a"]
    for url in (
        reverse("workorders:queue"),
        reverse("workorders:queue") + f"?state=submitted&region={world['site_a'].region.code}&site={world['site_a'].pk}"
        f"&blocked=true&at_risk=true&owner={world['desk'].pk}",
        reverse("workorders:detail", args=[wo.pk]),
        reverse("workorders:edit", args=[wo.pk]),
        reverse("workorders:mine"),
        reverse("workorders:portal"),
        reverse("workorders:portal") + "?new=1",
        reverse("workorders:portal-detail", args=[wo.pk]),
        reverse("workorders:check-in", args=[wo.pk]),
    ):
        response = http.get(url)
        assert response.status_code == 200, url
        assert b"<script>alert" not in response.content, url


def test_detail_shows_readiness_owner_and_escapes_user_text(world):
    body = login(world["desk"]).get(reverse("workorders:detail", args=[world["wo_a"].pk])).content.decode()
    assert ESCAPED in body  # title, description, info, internal comment
    assert 'data-testid="readiness"' in body
    assert "Priya Shah" in body or world["wo_a"].owner.username in body
    assert "Internal" in body and "Visible to client" in body


def test_queue_lists_work_with_site_local_window_and_readiness(world):
    body = login(world["desk"]).get(reverse("workorders:queue")).content.decode()
    assert f"WO-{world['wo_a'].pk}" in body and f"WO-{world['wo_b'].pk}" in body
    assert "Europe/London" in body and "America/New_York" in body
    assert 'data-testid="readiness-badge"' in body
    assert ESCAPED in body


def test_client_user_sees_only_their_own_work(world):
    http = login(world["user_a"])
    wo_a, wo_b = world["wo_a"], world["wo_b"]
    assert http.get(reverse("workorders:portal-detail", args=[wo_a.pk])).status_code == 200
    assert http.get(reverse("workorders:portal-detail", args=[wo_b.pk])).status_code == 404
    assert http.get(reverse("workorders:detail", args=[wo_b.pk])).status_code in (302, 404)
    body = http.get(reverse("workorders:portal")).content.decode()
    assert f"WO-{wo_a.pk}" in body and "Beta" not in body
    # Client users are sent from the staff pages to the portal, and may not act on staff pages.
    assert http.get(reverse("workorders:queue"))["Location"] == reverse("workorders:portal")
    for name in ("transition", "override", "arrangement", "handoff", "comment", "assign", "edit"):
        assert http.post(reverse(f"workorders:{name}", args=[wo_a.pk]), {"to": "cancelled"}).status_code == 404, name
    assert http.post(reverse("workorders:portal-comment", args=[wo_b.pk]), {"body": "hi"}).status_code == 404


def test_internal_comments_are_never_shown_to_client_users(world):
    http = login(world["user_a"])
    body = http.get(reverse("workorders:portal-detail", args=[world["wo_a"].pk])).content.decode()
    assert "We booked the engineer" in body
    assert "secret-margin" not in body and "Internal note" not in body
    # A comment from the portal is always client-visible, whatever the form says.
    http.post(reverse("workorders:portal-comment", args=[world["wo_a"].pk]), {"body": "Thanks", "visibility": "internal"})
    assert Comment.objects.get(body="Thanks").visibility == "client"


def test_queue_query_count_is_bounded(world, django_assert_max_num_queries):
    for i in range(30):
        services.create_work_order(request_data(world["a"], world["site_a"], title=f"Job {i}", days=5 + i), actor=world["desk"])
    http = login(world["desk"])
    with django_assert_max_num_queries(20):
        assert http.get(reverse("workorders:queue")).status_code == 200
    with django_assert_max_num_queries(20):
        assert http.get(reverse("workorders:portal")).status_code == 200


def test_a_refused_gate_is_a_message_not_an_error(world):
    http = login(world["desk"])
    wo = world["wo_a"]
    url = reverse("workorders:transition", args=[wo.pk])
    for to in ("triage", "readiness"):
        http.post(url, {"to": to, "reason": "next"})
    wo.refresh_from_db()
    assert wo.state == "readiness"
    response = http.post(url, {"to": "ready", "reason": "try"}, follow=True)
    assert response.status_code == 200
    wo.refresh_from_db()
    assert wo.state == "readiness"
    assert 'class="msg msg-error"' in response.content.decode()
    response = http.post(url, {"to": "closed"}, follow=True)
    assert response.status_code == 200 and 'msg-error' in response.content.decode()


def test_arrangement_clears_the_site_blocker_and_then_ready(world):
    http = login(world["desk"])
    wo, access = world["wo_a"], world["access"]
    for to in ("triage", "readiness"):
        services.transition_work_order(wo, to, actor=world["desk"], reason="next")
    body = http.get(reverse("workorders:detail", args=[wo.pk])).content.decode()
    assert f'data-key="requirement:{access.pk}"' in body or "site_requirement" in body
    http.post(reverse("workorders:arrangement", args=[wo.pk]), {"requirement": access.pk, "state": "approved", "reference": "SEC-1"})
    assert Arrangement.objects.get(work_order=wo, requirement=access).state == "approved"
    # A second arrangement for a requirement of another site is refused without a 500.
    other = f.make_requirement(world["site_b"])
    assert http.post(reverse("workorders:arrangement", args=[wo.pk]), {"requirement": other.pk, "state": "approved"}).status_code == 302


def test_override_needs_a_reason(world):
    http = login(world["dispatcher"])
    wo = world["wo_a"]
    response = http.post(reverse("workorders:override", args=[wo.pk]), {"blocker": "x", "reason": ""}, follow=True)
    assert "needs a reason" in response.content.decode()


def test_portal_request_converts_site_local_time_and_keeps_the_category_fields(world):
    http = login(world["user_a"])
    response = http.post(reverse("workorders:portal"), {
        "site": world["site_a"].pk, "category": "cabling", "title": "New links for the ward",
        "description": "", "window_start": "2031-07-01T09:00", "window_end": "2031-07-01T11:30",
        "info-cabling-cable_schedule": "CS-99", "info-cabling-site_contact": "Jo", "info-install-rack_location": "R1",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    wo = WorkOrder.objects.get(title="New links for the ward")
    assert wo.client == world["a"] and wo.state == "submitted"
    assert wo.window_start == dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)  # 09:00 BST
    assert wo.info == {"cable_schedule": "CS-99", "site_contact": "Jo"}
    # A reversed window is an error on the form, never a 500; another client's site is refused.
    bad = http.post(reverse("workorders:portal"), {
        "site": world["site_a"].pk, "category": "cabling", "title": "x", "window_start": "2031-07-01T09:00",
        "window_end": "2031-07-01T08:00",
    })
    assert bad.status_code == 400 and "must end after it starts" in bad.content.decode()
    other = http.post(reverse("workorders:portal"), {"site": world["site_b"].pk, "category": "cabling", "title": "x"})
    assert other.status_code == 400


def test_handoff_and_acknowledge(world):
    desk, dispatcher = world["desk"], world["dispatcher"]
    wo = world["wo_a"]
    response = login(desk).post(reverse("workorders:handoff", args=[wo.pk]), {
        "to_user": dispatcher.pk, "to_team": "Dispatch EMEA", "done_so_far": "Checked the schedule",
        "next_step": "Book an engineer", "open_questions": "", "links": "",
    })
    assert response.status_code == 302
    handoff = wo.handoffs.get()
    body = login(dispatcher).get(reverse("workorders:detail", args=[wo.pk])).content.decode()
    assert "Awaiting acknowledgement" in body and "Acknowledge" in body
    login(dispatcher).post(reverse("workorders:acknowledge", args=[wo.pk, handoff.pk]))
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is not None


def test_admin_pages_render(world, admin_user):
    http = login(admin_user)
    for path in ("workorders/workorder", "workorders/categoryfield", "workorders/categorypolicy"):
        assert http.get(f"/admin/{path}/").status_code == 200, path
    assert http.get(f"/admin/workorders/workorder/{world['wo_a'].pk}/change/").status_code == 200
