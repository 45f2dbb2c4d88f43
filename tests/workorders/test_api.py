"""Work orders API contract: shapes, 422 with fields, 409 with reasons, readiness, client users' view,
cursor paging, bounded query counts, handoffs, comments and on-site actions."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.workorders import queries, services
from opsdesk.workorders.models import WorkOrder
from tests import factories as f
from tests.workorders.builders import CHECKLIST, END, NOW, START, arrange, make, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(api_for):
    w = world()
    w["desk_api"] = api_for(w["desk"])
    w["client_api"] = api_for(w["client_user"])
    w["dispatch_api"] = api_for(w["dispatcher"])
    w["engineer_api"] = api_for(w["engineer_user"])
    return w


def body(w, **kw):
    out = {
        "client": w["client"].pk, "site": w["site"].pk, "services": [w["service"].pk], "category": "cabling",
        "title": "Run four links", "window_start": "2030-06-04T10:00:00+01:00", "window_end": "2030-06-04T12:00:00+01:00",
        "parts": [{"part_number": "CAT6A-50", "quantity": 4}],
    }
    out.update(kw)
    return out


def test_create_and_read(w):
    with clock.frozen(NOW):
        r = w["desk_api"].post("work-orders", body(w, priority="p2", info={"site_contact": "Sam"}))
    assert r.status_code == 201, r.content
    wo = r.json()
    assert wo["window_start"].startswith("2030-06-04T09:00:00") and wo["local_window"]["time_zone"] == "Europe/London"
    assert (wo["state"], wo["owner"], wo["client"], wo["priority"], wo["blocked"]) == (
        "submitted", w["desk"].pk, w["client"].pk, "p2", True)
    assert wo["parts"][0]["part_number"] == "CAT6A-50" and wo["allowed_transitions"] == ["cancelled", "triage"]
    for key in ("services", "category", "title", "description", "estimated_minutes", "required_skills",
                "required_certifications", "change", "team", "engineer", "info", "at_risk", "rework_of", "first_time_fix"):
        assert key in wo
    assert w["desk_api"].get(f"work-orders/{wo['id']}").json()["id"] == wo["id"]
    r = w["desk_api"].patch(f"work-orders/{wo['id']}", {"title": "Run five links", "priority": "p1"})
    assert r.status_code == 200 and r.json()["title"] == "Run five links"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"window_end": "2030-06-04T09:00:00+01:00"}, {"window_end"}),
        ({"window_start": "2030-06-04T10:00:00"}, {"window_start"}),
        ({"title": ""}, {"title"}),
        ({"category": "juggling"}, {"category"}),
        ({"priority": "p9", "estimated_minutes": 0}, {"priority", "estimated_minutes"}),
        ({"bogus": 1}, {"bogus"}),
    ],
)
def test_bad_input_is_422_naming_fields(w, change, fields):
    r = w["desk_api"].post("work-orders", body(w, **change))
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in r.json()["errors"]} == fields


def test_invalid_transition_and_gate_are_409_with_reasons(w):
    wo = make(w, "readiness")
    r = w["desk_api"].post(f"work-orders/{wo.pk}/transitions", {"to": "closed"})
    assert r.status_code == 409 and "can move to: blocked, cancelled, on_hold, ready" in r.json()["detail"]
    with clock.frozen(NOW):
        r = w["desk_api"].post(f"work-orders/{wo.pk}/transitions", {"to": "ready", "reason": "try"})
    assert r.status_code == 409
    problem = r.json()
    assert "Owner: you, the client" in problem["detail"] and "needed by Sat 1 Jun 10:00 Europe/London" in problem["detail"]
    assert problem["errors"][0]["key"] == f"requirement:{w['access'].pk}"
    assert w["desk_api"].post(f"work-orders/{wo.pk}/transitions", {}).status_code == 422


def test_readiness_shape_and_override(w):
    wo = make(w, "readiness")
    with clock.frozen(NOW):
        r = w["desk_api"].get(f"work-orders/{wo.pk}/readiness")
    data = r.json()
    assert data["ready"] is False and data["at_risk"] is False
    [blocker] = data["blockers"]
    assert set(blocker) == {"key", "kind", "detail", "owner", "needed_by", "rule", "overridden"}
    assert (blocker["kind"], blocker["owner"], blocker["overridden"]) == ("site_requirement", "client", False)
    assert blocker["needed_by"].startswith("2030-06-01T09:00:00")
    assert "Access request" in blocker["rule"]
    assert w["desk_api"].post(f"work-orders/{wo.pk}/overrides", {"blocker": blocker["key"], "reason": "x"}).status_code == 403
    r = w["dispatch_api"].post(f"work-orders/{wo.pk}/overrides", {"blocker": blocker["key"], "reason": "Phoned security"})
    assert r.status_code == 201 and r.json()["by"] == w["dispatcher"].pk
    assert w["desk_api"].get(f"work-orders/{wo.pk}/readiness").json()["ready"] is True
    assert w["dispatch_api"].post(f"work-orders/{wo.pk}/overrides", {"reason": "x"}).status_code == 422


def test_client_user_sees_own_work_and_only_client_visible_comments(w):
    other_client = f.make_client()
    other_site = f.make_site(clients=[other_client])
    theirs = services.create_work_order(
        {"client": other_client.pk, "site": other_site.pk, "category": "audit", "title": "Other"}, actor=w["desk"])
    with clock.frozen(NOW):
        r = w["client_api"].post("work-orders", body(w, client=None, owner=None))
    assert r.status_code == 201 and r.json()["state"] == "submitted" and r.json()["owner"] == w["desk"].pk
    mine = r.json()["id"]
    services.add_comment(WorkOrder.objects.get(pk=mine), "secret margin", visibility="internal", actor=w["desk"])
    services.add_comment(WorkOrder.objects.get(pk=mine), "We booked it", visibility="client", actor=w["desk"])
    api = w["client_api"]
    assert [x["id"] for x in api.get("work-orders").json()["items"]] == [mine]
    assert api.get(f"work-orders/{theirs.pk}").status_code == 404
    assert [c["body"] for c in api.get(f"work-orders/{mine}/comments").json()["items"]] == ["We booked it"]
    assert len(w["desk_api"].get(f"work-orders/{mine}/comments").json()["items"]) == 2
    r = api.post(f"work-orders/{mine}/comments", {"body": "Thanks"})
    assert r.status_code == 201 and r.json()["visibility"] == "client"
    assert api.post(f"work-orders/{mine}/comments", {"body": "x", "visibility": "internal"}).status_code == 403
    timeline = api.get(f"work-orders/{mine}/timeline").json()["items"]
    assert {e["visibility"] for e in timeline} == {"client"} and not any("secret" in e["summary"] for e in timeline)
    readiness = api.get(f"work-orders/{mine}/readiness").json()
    assert readiness["blockers"][0]["owner"] == "client"
    assert api.get(f"work-orders/{mine}/eligibility").status_code == 403
    assert api.get(f"work-orders/{mine}/handoffs").status_code == 403
    assert api.post(f"work-orders/{mine}/transitions", {"to": "triage"}).status_code == 403
    assert api.patch(f"work-orders/{mine}", {"title": "mine"}).status_code == 403
    r = api.post(f"work-orders/{mine}/arrangements", {"requirement": w["access"].pk, "state": "submitted", "reference": "A1"})
    assert r.status_code == 200 and r.json()["state"] == "submitted"


def test_cursor_paging_returns_every_row_exactly_once(w):
    ids = {make(w).pk for _ in range(7)}
    seen: list[int] = []
    r = w["desk_api"].get("work-orders", cursor="", limit=3)
    while True:
        page = r.json()
        assert page["count"] == 7
        seen += [x["id"] for x in page["items"]]
        if not page["next_cursor"]:
            break
        r = w["desk_api"].get("work-orders", cursor=page["next_cursor"], limit=3)
    assert seen == sorted(ids, reverse=True)
    assert w["desk_api"].get("work-orders", cursor="garbage").status_code == 422
    offset = w["desk_api"].get("work-orders", limit=3, offset=6).json()
    assert offset["count"] == 7 and len(offset["items"]) == 1 and offset["next_cursor"] is None


def test_list_filters_and_urgency_order(w):
    plain = make(w, priority="p3")
    urgent = make(w, priority="p1")
    risky = make(w, priority="p4")
    WorkOrder.objects.filter(pk=risky.pk).update(at_risk=True)
    api = w["desk_api"]
    assert [x["id"] for x in api.get("work-orders").json()["items"]] == [risky.pk, urgent.pk, plain.pk]
    assert [x["id"] for x in api.get("work-orders", at_risk="true").json()["items"]] == [risky.pk]
    assert api.get("work-orders", blocked="true").json()["count"] == 3
    assert api.get("work-orders", state="triage,readiness").json()["count"] == 0
    assert api.get("work-orders", region=w["region"].code, site=w["site"].pk, client=w["client"].pk,
                   owner=w["desk"].pk).json()["count"] == 3
    assert api.get("work-orders", due_before="2030-06-01T00:00:00Z").json()["count"] == 0
    assert api.get("work-orders", due_before="2030-06-02T00:00:00Z").json()["count"] == 3  # needed by 1 Jun 09:00
    assert api.get("work-orders", due_before="2030-06-02T00:00:00").status_code == 422
    assert api.get("work-orders", q=f"WO-{urgent.pk}").json()["items"][0]["id"] == urgent.pk


def test_same_priority_sorts_by_window_with_undated_work_last(w):
    later = make(w, window_start=START + dt.timedelta(days=6), window_end=END + dt.timedelta(days=6))
    undated = make(w, window_start=None, window_end=None)
    sooner = make(w)  # START, 4 June
    ids = [x["id"] for x in w["desk_api"].get("work-orders").json()["items"]]
    assert ids == [sooner.pk, later.pk, undated.pk]
    # Editing the window moves the work in the queue (queue_at follows window_start).
    assert w["desk_api"].patch(f"work-orders/{undated.pk}", {
        "window_start": "2030-06-02T09:00:00Z", "window_end": "2030-06-02T10:00:00Z"}).status_code == 200
    ids = [x["id"] for x in w["desk_api"].get("work-orders").json()["items"]]
    assert ids == [undated.pk, sooner.pk, later.pk]


def test_list_query_count_is_bounded(w, django_assert_max_num_queries):
    for _ in range(3):
        make(w)
    with django_assert_max_num_queries(14):
        small = w["desk_api"].get("work-orders")
    for _ in range(20):
        make(w)
    with django_assert_max_num_queries(14):
        big = w["desk_api"].get("work-orders")
    assert (small.json()["count"], big.json()["count"]) == (3, 23)
    with django_assert_max_num_queries(14):
        assert w["desk_api"].get("work-orders", cursor="", limit=10).status_code == 200


def test_handoff_acknowledge_and_eligibility_over_the_api(w):
    wo = make(w)
    r = w["desk_api"].post(f"work-orders/{wo.pk}/handoffs", {
        "to_user": w["dispatcher"].pk, "to_team": "Dispatch", "done_so_far": "Triage", "next_step": "Book",
    })
    assert r.status_code == 201 and r.json()["acknowledged_at"] is None
    hid = r.json()["id"]
    assert w["desk_api"].post(f"work-orders/{wo.pk}/handoffs/{hid}/acknowledge").status_code == 403
    r = w["dispatch_api"].post(f"work-orders/{wo.pk}/handoffs/{hid}/acknowledge")
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    assert [h["id"] for h in w["desk_api"].get(f"work-orders/{wo.pk}/handoffs").json()] == [hid]
    assert w["desk_api"].post(f"work-orders/{wo.pk}/handoffs", {"next_step": "x"}).status_code == 422
    verdicts = w["dispatch_api"].get(f"work-orders/{wo.pk}/eligibility").json()
    assert verdicts[0] == {"engineer": w["engineer"].pk, "name": w["engineer"].name, "eligible": True, "reasons": []}


def test_on_site_over_the_api(w):
    wo = make(w, "readiness")
    arrange(w, wo)
    f.make_requirement(w["site"], kind="method_statement", description="RAMS signed by the site", lead_time_hours=0,
                       blocking=False)
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            w["dispatch_api"].post(f"work-orders/{wo.pk}/transitions", {"to": to, "reason": "go"})
    assert w["desk_api"].post(f"work-orders/{wo.pk}/check-in", {}).status_code == 403
    with clock.frozen(START):
        r = w["engineer_api"].post(f"work-orders/{wo.pk}/check-in", {})
    assert r.status_code == 200, r.content
    assert r.json()["work_order"]["state"] == "on_site"
    assert [x["description"] for x in r.json()["rules"]] == ["RAMS signed by the site"]
    with clock.frozen(END):
        r = w["engineer_api"].post(f"work-orders/{wo.pk}/check-out", {"report": "Done", "checklist": {CHECKLIST[0]: True}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "checklist"
        r = w["engineer_api"].post(f"work-orders/{wo.pk}/check-out",
                                   {"report": "Done and tested", "checklist": dict.fromkeys(CHECKLIST, True)})
    assert r.status_code == 200 and r.json()["state"] == "completed" and r.json()["first_time_fix"] is True
    mine = w["engineer_api"].get("my-work", day="2030-06-04").json()
    assert [x["id"] for x in mine] == [wo.pk]


def test_queue_pages_in_urgency_order_and_caps_its_count(w, monkeypatch):
    made = [make(w, priority=p) for p in ("p3", "p1", "p4", "p2", "p3")]
    api = w["desk_api"]
    whole = [x["id"] for x in api.get("work-orders", limit=50).json()["items"]]
    assert sorted(whole) == sorted(wo.pk for wo in made)
    paged = [x["id"] for off in (0, 2, 4) for x in api.get("work-orders", limit=2, offset=off).json()["items"]]
    assert paged == whole  # slices of the same order, each page its own ids
    body = api.get("work-orders", limit=2).json()
    assert body["count"] == 5 and body["count_capped"] is False
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    body = api.get("work-orders", limit=2).json()
    assert body["count"] == 3 and body["count_capped"] is True
    assert api.get("work-orders", limit=2, cursor="").json()["count_capped"] is True


def test_the_working_queue_leaves_finished_work_out(w, client):
    kept = make(w, title="Still to do")
    gone = make(w, title="Called off")
    assert WorkOrder.objects.get(pk=gone.pk).finished is False
    services.transition_work_order(gone, "cancelled", actor=w["desk"], reason="client withdrew the request")
    assert WorkOrder.objects.get(pk=gone.pk).finished is True
    assert set(WorkOrder.objects.filter(finished=False).values_list("id", flat=True)) == {kept.pk}
    client.force_login(w["desk"])
    page = client.get("/work/").content.decode()
    assert "Still to do" in page and "Called off" not in page
    assert "Called off" in client.get("/work/?state=all").content.decode()
    assert "Called off" in client.get("/work/?state=cancelled").content.decode()
