"""The postmortems, action items and problems API: contract, bad input, and what client users may see."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from opsdesk.core import clock
from opsdesk.core.models import Notification
from opsdesk.learning import services
from opsdesk.learning.models import ActionItem, Postmortem, Problem
from tests import factories as f
from tests.incidents.factories import make_incident, story
from tests.learning.factories import make_action, make_postmortem

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)


@pytest.fixture
def w(api_for):
    """Client A's and client B's incidents, a commander, and each client's user."""
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    svc_a, svc_b = f.make_service(a, name="EPR"), f.make_service(b, name="Ledger")
    commander = f.make_user("incident_commander", password=None)
    viewer_a = f.make_user("client", client=a, password=None)
    inc_a = make_incident(services=[svc_a], owner=commander)
    inc_b = make_incident(services=[svc_b], owner=commander)
    story(inc_a)

    class W:
        pass

    out = W()
    out.__dict__.update(locals())
    out.api = api_for(commander)
    out.a_api = api_for(viewer_a)
    out.engineer_api = api_for(f.make_user("engineer", password=None))
    return out


def problem_json(r, status):
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/problem+json"
    return r.json()


# -- postmortems -----------------------------------------------------------------------------------


def test_start_read_edit_and_publish(w):
    r = w.api.post("postmortems", {"incident": w.inc_a.pk})
    assert r.status_code == 201, r.content
    pm = r.json()
    assert pm["incident"] == w.inc_a.pk and pm["state"] == "draft" and pm["owner"] == w.commander.pk
    assert pm["allowed_transitions"] == ["in_review"] and pm["actions"] == []
    assert "EPR" in pm["summary"] and pm["incident_title"] == w.inc_a.title
    again = w.api.post("postmortems", {"incident": w.inc_a.pk})
    assert again.status_code == 200 and again.json()["id"] == pm["id"]

    path = f"postmortems/{pm['id']}"
    body = {name: f"{name} done" for name in ("contributing_factors", "went_well", "was_hard")}
    edited = w.api.patch(path, body)
    assert edited.status_code == 200 and edited.json()["went_well"] == "went_well done"
    assert w.api.post(f"{path}/transitions", {"to": "in_review"}).json()["state"] == "in_review"
    published = w.api.post(f"{path}/transitions", {"to": "published", "reason": "reviewed"})
    assert published.status_code == 200 and published.json()["allowed_transitions"] == ["draft"]
    detail = problem_json(w.api.patch(path, {"summary": "late edit"}), 409)["detail"]
    assert "back to draft" in detail
    history = w.api.get(f"{path}/timeline").json()
    assert [e["verb"] for e in history["items"]] == ["postmortem", "postmortem", "postmortem_transition", "postmortem_transition"]


def test_start_refuses_open_incidents_unknown_ones_and_readers(w):
    live = make_incident(services=[w.svc_a], state="investigating")
    assert "Resolve it first" in problem_json(w.api.post("postmortems", {"incident": live.pk}), 409)["detail"]
    err = problem_json(w.api.post("postmortems", {"incident": 987654}), 422)
    assert err["errors"][0]["field"] == "incident"
    problem_json(w.api.post("postmortems", {}), 422)
    problem_json(w.api.post("postmortems", {"incident": w.inc_a.pk, "colour": "red"}), 422)
    problem_json(w.engineer_api.post("postmortems", {"incident": w.inc_a.pk}), 403)
    problem_json(w.a_api.post("postmortems", {"incident": w.inc_a.pk}), 403)
    assert not Postmortem.objects.exists()


def test_bad_transitions_and_edits_are_problem_details(w):
    pm = make_postmortem(w.inc_a)
    path = f"postmortems/{pm.pk}"
    problem_json(w.api.post(f"{path}/transitions", {}), 422)
    assert "can move to: in_review" in problem_json(w.api.post(f"{path}/transitions", {"to": "published"}), 409)["detail"]
    problem_json(w.api.post(f"{path}/transitions", {"to": "nonsense"}), 409)
    problem_json(w.api.patch(path, {"owner": None}), 422)
    problem_json(w.api.patch(path, {"owner": 2**63}), 422)
    problem_json(w.api.patch(path, {"summary": "x" * 60_000}), 422)
    problem_json(w.api.get("postmortems/987654"), 404)


def test_list_filters(w):
    pm_a = make_postmortem(w.inc_a, state="published")
    pm_b = make_postmortem(w.inc_b, owner=f.make_user("service_desk"))
    ids = lambda **q: [p["id"] for p in w.api.get("postmortems", **q).json()["items"]]  # noqa: E731
    assert ids() == [pm_b.pk, pm_a.pk]
    assert ids(state="published") == [pm_a.pk]
    assert ids(state="draft,in_review") == [pm_b.pk]
    assert ids(incident=w.inc_b.pk) == [pm_b.pk]
    assert ids(owner=w.commander.pk) == [pm_a.pk]
    problem_json(w.api.get("postmortems", incident="x"), 422)


def test_lists_answer_in_a_fixed_number_of_queries(w, django_assert_max_num_queries):
    for _ in range(5):
        pm = make_postmortem(make_incident(services=[w.svc_a]))
        make_action(pm, due_on=TODAY)
        make_action(pm, due_on=TODAY)
    problem = Problem.objects.create(title="P", service=w.svc_a, signature="s")
    for _ in range(5):
        services.link_incident(problem, make_incident(services=[w.svc_a]), w.commander)
    w.api.get("postmortems")  # warm the token and content-type caches
    with django_assert_max_num_queries(8):
        assert w.api.get("postmortems").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert w.api.get("actions").json()["count"] == 10
    with django_assert_max_num_queries(9):
        assert len(w.api.get("problems").json()["items"][0]["incidents"]) == 5


# -- action items ----------------------------------------------------------------------------------


def test_actions_add_list_and_track_to_done(w):
    pm = make_postmortem(w.inc_a)
    owner = f.make_user("engineer", password=None)
    path = f"postmortems/{pm.pk}/actions"
    err = problem_json(w.api.post(path, {}), 422)
    assert err["errors"][0]["field"] == "owner"
    for body, field in (
        ({"title": "x", "owner": owner.pk, "due_on": "0001-01-01"}, "due_on"),
        ({"title": "x", "owner": owner.pk, "due_on": "tomorrow"}, "due_on"),
        ({"title": "x", "owner": w.viewer_a.pk, "due_on": "2025-04-01"}, "owner"),
        ({"title": " ", "owner": owner.pk, "due_on": "2025-04-01"}, "title"),
    ):
        assert problem_json(w.api.post(path, body), 422)["errors"][0]["field"] == field, body
    r = w.api.post(path, {"title": "Alert on queue depth", "owner": owner.pk, "due_on": "2025-03-18"})
    assert r.status_code == 201, r.content
    action = r.json()
    assert action["owner_name"] == owner.username and action["state"] == "open" and action["done_at"] is None
    assert Notification.objects.filter(user=owner, title__contains="Alert on queue depth").exists()
    make_action(pm, due_on=dt.date(2099, 1, 1))

    with clock.frozen(dt.datetime(2025, 3, 20, 8, tzinfo=dt.UTC)):
        overdue = w.api.get("actions", overdue="true").json()["items"]
        assert [a["id"] for a in overdue] == [action["id"]] and overdue[0]["overdue"] is True
        assert w.api.get("actions", overdue="false").json()["count"] == 1
        assert len(w.api.get(path).json()["items"]) == 2
        done = w.api.patch(f"actions/{action['id']}", {"state": "done"}).json()
    assert done["state"] == "done" and done["done_at"].startswith("2025-03-20T08:00") and done["overdue"] is False
    assert w.api.get(f"actions/{action['id']}").json()["state"] == "done"
    assert w.api.get("actions", owner=owner.pk, state="done").json()["count"] == 1
    problem_json(w.api.patch(f"actions/{action['id']}", {"state": "finished"}), 422)
    problem_json(w.api.patch(f"actions/{action['id']}", {"state": "wont_do"}), 409)
    problem_json(w.api.patch(f"actions/{action['id']}", {"due_on": None}), 422)
    problem_json(w.api.patch("actions/987654", {"state": "done"}), 404)


# -- problems --------------------------------------------------------------------------------------


def test_problems_list_read_edit_and_link(w):
    for days in (1, 5, 9):
        make_incident(services=[w.svc_a], signature="HighErrorRate",
                      started_at=clock.now() - dt.timedelta(days=days))
    services.propose_problems()
    problem = Problem.objects.get()
    Problem.objects.create(title="Other", service=w.svc_b, signature="x", state="dismissed")
    items = w.api.get("problems", state="proposed").json()["items"]
    assert [p["id"] for p in items] == [problem.pk]
    assert items[0]["service_name"] == "EPR" and len(items[0]["incidents"]) == 3
    assert items[0]["clients"] == [w.a.pk]
    assert w.api.get("problems", service=w.svc_b.pk).json()["count"] == 1
    assert w.api.get("problems", q="higherror").json()["count"] == 1

    path = f"problems/{problem.pk}"
    r = w.api.patch(path, {"state": "known_error", "known_error": "Pool exhausted", "workaround": "Restart",
                           "owner": w.commander.pk})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "known_error" and r.json()["owner_name"] == w.commander.username
    problem_json(w.api.patch(path, {"state": "dismissed"}), 409)
    problem_json(w.api.patch(path, {"state": "gone"}), 422)
    problem_json(w.api.patch(path, {"title": ""}), 422)

    linked = w.api.post(f"{path}/incidents", {"incident": w.inc_b.pk})
    assert linked.status_code == 200 and w.inc_b.pk in [i["id"] for i in linked.json()["incidents"]]
    assert sorted(linked.json()["clients"]) == sorted([w.a.pk, w.b.pk])
    problem_json(w.api.post(f"{path}/incidents", {}), 422)
    problem_json(w.api.post(f"{path}/incidents", {"incident": 987654}), 422)
    other = Problem.objects.get(title="Other")
    problem_json(w.api.post(f"problems/{other.pk}/incidents", {"incident": w.inc_b.pk}), 409)
    verbs = [e["verb"] for e in w.api.get(f"{path}/timeline").json()["items"]]
    assert verbs[0] == "created" and "transition" in verbs and verbs[-1] == "linked"


# -- what client users see -------------------------------------------------------------------------


def test_client_users_read_published_postmortems_of_their_own_incidents_only(w):
    draft_a = make_postmortem(w.inc_a)
    published_b = make_postmortem(w.inc_b, state="published")
    make_action(draft_a, due_on=TODAY)
    problem_json(w.a_api.get(f"postmortems/{draft_a.pk}"), 404)
    problem_json(w.a_api.get(f"postmortems/{published_b.pk}"), 404)
    assert w.a_api.get("postmortems").json()["count"] == 0
    assert w.a_api.get("actions").json()["count"] == 0
    services.transition_postmortem(draft_a, "in_review", w.commander)
    services.transition_postmortem(draft_a, "published", w.commander)
    seen = w.a_api.get(f"postmortems/{draft_a.pk}").json()
    assert seen["state"] == "published" and len(seen["actions"]) == 1
    assert [p["id"] for p in w.a_api.get("postmortems").json()["items"]] == [draft_a.pk]
    assert w.a_api.get("actions").json()["count"] == 1
    assert w.a_api.get(f"postmortems/{draft_a.pk}/timeline").json()["count"] == 0  # internal entries
    problem_json(w.a_api.patch(f"postmortems/{draft_a.pk}", {"summary": "mine"}), 403)


def test_client_users_read_accepted_problems_touching_them_and_only_their_incidents(w):
    problem = Problem.objects.create(title="Shared", signature="s")
    services.link_incident(problem, w.inc_a, w.commander)
    services.link_incident(problem, w.inc_b, w.commander)
    problem_json(w.a_api.get(f"problems/{problem.pk}"), 404)  # proposed: internal triage
    services.update_problem(problem, {"state": "open"}, w.commander)
    seen = w.a_api.get(f"problems/{problem.pk}").json()
    assert [i["id"] for i in seen["incidents"]] == [w.inc_a.pk]
    assert seen["clients"] == [w.a.pk]
    only_b = Problem.objects.create(title="Beta only", signature="t", state="open")
    services.link_incident(only_b, make_incident(services=[w.svc_b]), w.commander)
    problem_json(w.a_api.get(f"problems/{only_b.pk}"), 404)
    assert [p["id"] for p in w.a_api.get("problems").json()["items"]] == [problem.pk]


def _object_paths(api, collections):
    doc = json.loads(api.get("/api/v1/openapi.json").content)
    for path, ops in doc["paths"].items():
        m = re.match(r"^/api/v1/([a-z-]+)/\{[a-z_]+\}(/.*)?$", path)
        if m and m.group(1) in collections:
            for method in ops:
                yield method, path, m.group(1)


def test_every_learning_endpoint_answers_404_for_another_clients_object(w):
    pm_b = make_postmortem(w.inc_b, state="published")
    action_b = make_action(pm_b, due_on=TODAY)
    problem_b = Problem.objects.create(title="Beta", signature="s", state="open")
    services.link_incident(problem_b, w.inc_b, w.commander)
    targets = {"postmortems": pm_b.pk, "actions": action_b.pk, "problems": problem_b.pk}
    probed = 0
    for method, path, collection in _object_paths(w.a_api, targets):
        url = re.sub(r"\{[a-z_]+\}", str(targets[collection]), path)
        r = getattr(w.a_api, method)(url) if method == "get" else getattr(w.a_api, method)(url, {})
        problem_json(r, 404)
        probed += 1
    assert probed >= 11
    pm_b.refresh_from_db()
    assert pm_b.state == "published" and ActionItem.objects.get(pk=action_b.pk).state == "open"
