"""Postmortem, action item and problem services on a real database, and their periodic jobs."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock, periodic, timeline
from opsdesk.core.errors import Conflict, InvalidInput
from opsdesk.core.models import Notification
from opsdesk.incidents.models import Incident
from opsdesk.learning import services, tasks
from opsdesk.learning.models import ActionItem, Postmortem, Problem
from tests import factories as f
from tests.incidents.factories import T0, make_incident, story
from tests.learning.factories import make_action, make_postmortem

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk():
    return f.make_user("service_desk", first_name="Dana", last_name="Desk")


def verbs(incident):
    return [a.verb for a in timeline.for_object(incident)]


# -- postmortems -----------------------------------------------------------------------------------


def test_start_drafts_from_the_timeline_and_is_idempotent(desk):
    incident = make_incident(services=[f.make_service(name="Checkout")])
    story(incident)
    pm, created = services.start_postmortem(incident, desk)
    assert created and pm.state == "draft" and pm.owner == desk
    assert "Checkout" in pm.summary and "1 h 25 min" in pm.impact
    assert "State triggered → acknowledged" in pm.response and "Tried restarting" not in pm.response
    assert "- 2025-03-01 09:07 UTC — State triggered → acknowledged" in pm.response
    assert not any("alice" in getattr(pm, name) for name in ("summary", "contributing_factors", "went_well", "was_hard"))
    again, created = services.start_postmortem(incident, f.make_user("incident_commander"))
    assert (again.pk, created) == (pm.pk, False)
    assert Postmortem.objects.count() == 1
    assert verbs(incident).count("postmortem") == 1


@pytest.mark.parametrize("state", ["triggered", "investigating", "monitoring"])
def test_start_refuses_an_unfinished_incident(desk, state):
    incident = make_incident(state=state)
    with pytest.raises(Conflict, match="Resolve it first"):
        services.start_postmortem(incident, desk)
    assert not Postmortem.objects.exists()


def test_start_with_another_owner_refuses_client_users(desk):
    incident = make_incident()
    with pytest.raises(InvalidInput, match="owner"):
        services.start_postmortem(incident, desk, owner=f.make_user("client", client=f.make_client()).pk)
    other = f.make_user("incident_commander")
    pm, _ = services.start_postmortem(incident, desk, owner=other.pk)
    assert pm.owner == other


def test_update_records_before_and_after_on_the_incident(desk):
    pm = make_postmortem()
    services.update_postmortem(pm, {"summary": "  New summary ", "was_hard": None}, desk)
    pm.refresh_from_db()
    assert pm.summary == "New summary" and pm.was_hard == ""
    entry = timeline.for_object(pm.incident).get(verb="postmortem")
    assert entry.changes["summary"] == ["summary written", "New summary"]
    assert entry.summary == "Postmortem edited: summary, was hard"
    services.update_postmortem(pm, {"summary": "New summary"}, desk)  # no change, no entry
    assert timeline.for_object(pm.incident).filter(verb="postmortem").count() == 1


def test_publish_needs_complete_sections_and_published_is_read_only(desk):
    pm = make_postmortem(went_well="- To be completed by the review.")
    services.transition_postmortem(pm, "in_review", desk)
    with pytest.raises(Conflict, match="went well still says"):
        services.transition_postmortem(pm, "published", desk)
    services.update_postmortem(pm, {"went_well": "Paging worked"}, desk)
    services.transition_postmortem(pm, "published", desk, reason="reviewed on Tuesday")
    pm.refresh_from_db()
    assert pm.state == "published"
    with pytest.raises(Conflict, match="back to draft"):
        services.update_postmortem(pm, {"summary": "x"}, desk)
    with pytest.raises(Conflict, match="can move to: draft"):
        services.transition_postmortem(pm, "in_review", desk)
    services.transition_postmortem(pm, "draft", desk, reason="a correction")
    entries = timeline.for_object(pm.incident).filter(verb="postmortem_transition")
    assert [e.changes["state"] for e in entries] == [["draft", "in_review"], ["in_review", "published"], ["published", "draft"]]
    assert "reviewed on Tuesday" in entries[1].summary


def test_review_notifies_the_owner_when_someone_else_sends_it(desk):
    owner = f.make_user("incident_commander")
    pm = make_postmortem(owner=owner)
    services.transition_postmortem(pm, "in_review", desk)
    assert Notification.objects.filter(user=owner, title__contains="in review").count() == 1


# -- action items ----------------------------------------------------------------------------------


def test_add_action_validates_and_tells_the_owner(desk):
    pm = make_postmortem()
    owner = f.make_user("engineer")
    for title, who, due, field in [
        ("", owner.pk, dt.date(2025, 4, 1), "title"),
        ("Add alert", None, dt.date(2025, 4, 1), "owner"),
        ("Add alert", owner.pk, None, "due_on"),
        ("Add alert", 999999, dt.date(2025, 4, 1), "owner"),
    ]:
        with pytest.raises(InvalidInput) as err:
            services.add_action(pm, title, who, due, desk)
        assert err.value.errors[0]["field"] == field
    action = services.add_action(pm, "  Add an alert   on queue depth ", owner.pk, dt.date(2025, 4, 1), desk)
    assert action.title == "Add an alert on queue depth" and action.state == "open"
    note = Notification.objects.get(user=owner)
    assert note.url == f"/incidents/postmortems/{pm.pk}/" and "Add an alert" in note.title
    assert "Action added: Add an alert on queue depth" in timeline.for_object(pm.incident).get(verb="action").summary


def test_actions_are_tracked_to_done(desk):
    pm = make_postmortem()
    action = make_action(pm, due_on=dt.date(2025, 4, 1), owner=desk)
    with clock.frozen(NOW):
        services.update_action(action, {"state": "in_progress"}, desk)
        services.update_action(action, {"state": "done"}, desk)
    action.refresh_from_db()
    assert (action.state, action.done_at) == ("done", NOW)
    with pytest.raises(Conflict, match="can move to: open"):
        services.update_action(action, {"state": "wont_do"}, desk)
    services.update_action(action, {"state": "open"}, desk)
    action.refresh_from_db()
    assert (action.state, action.done_at) == ("open", None)
    with pytest.raises(InvalidInput):
        services.update_action(action, {"state": None}, desk)
    summaries = [e.summary for e in timeline.for_object(pm.incident).filter(verb="action")]
    assert summaries[-1].endswith("is now open") and any(s.endswith("is now done") for s in summaries)


def test_changing_the_due_day_earns_a_new_overdue_notice(desk):
    pm = make_postmortem()
    action = make_action(pm, due_on=dt.date(2025, 3, 1), overdue_notified_on=dt.date(2025, 3, 5))
    services.update_action(action, {"due_on": dt.date(2025, 3, 10)}, desk)
    action.refresh_from_db()
    assert action.overdue_notified_on is None


def test_overdue_actions_notify_their_owner_once_a_day(desk):
    pm = make_postmortem()
    late = make_action(pm, due_on=dt.date(2025, 3, 18), owner=desk, title="Tune the alert")
    make_action(pm, due_on=dt.date(2025, 3, 20), owner=desk)  # due today: not late
    make_action(pm, due_on=dt.date(2025, 3, 1), owner=desk, state="done")
    with clock.frozen(NOW):
        assert tasks.notify_overdue_actions.call() == 1
        assert tasks.notify_overdue_actions.call() == 0  # idempotent within the day
    note = Notification.objects.get(user=desk, title__startswith="Overdue")
    assert "Tune the alert" in note.title and "2 days ago" in note.body
    late.refresh_from_db()
    assert late.overdue_notified_on == NOW.date()
    with clock.frozen(NOW + dt.timedelta(days=1)):
        assert tasks.notify_overdue_actions.call() == 2  # a reminder, and the one due yesterday
    assert Notification.objects.filter(user=desk, title__startswith="Overdue").count() == 3
    assert timeline.for_object(pm.incident).filter(verb="action_overdue").count() == 2  # first notices only


def test_reminders_follow_the_setting(desk, settings):
    settings.OPSDESK_ACTION_REMINDER_DAYS = 7
    make_action(make_postmortem(), due_on=dt.date(2025, 3, 1), owner=desk)
    for day, sent in ((0, 1), (1, 0), (6, 0), (7, 1)):
        with clock.frozen(NOW + dt.timedelta(days=day)):
            assert tasks.notify_overdue_actions.call() == sent, day


def test_the_periodic_jobs_are_registered():
    names = {job.name: job for job in periodic.jobs()}
    assert names["incidents-overdue-actions"].task is tasks.notify_overdue_actions
    assert names["incidents-propose-problems"].task is tasks.propose_recurring_problems


# -- problems --------------------------------------------------------------------------------------


def recurring(service, n=3, days=5, signature="HighErrorRate", **kw):
    return [
        make_incident(services=[service], signature=signature, started_at=NOW - dt.timedelta(days=days * (i + 1)), **kw)
        for i in range(n)
    ]


def test_recurring_incidents_propose_one_problem_idempotently():
    a, b = f.make_client(), f.make_client()
    svc = f.make_service(a, name="Checkout")
    incidents = recurring(svc)
    incidents[0].clients.add(b)
    make_incident(services=[svc], signature="DiskFull", started_at=NOW - dt.timedelta(days=1))
    make_incident(services=[svc], signature="HighErrorRate", started_at=NOW - dt.timedelta(days=45))  # too old
    assert services.propose_problems(NOW) == 3
    assert services.propose_problems(NOW) == 0
    problem = Problem.objects.get()
    assert (problem.state, problem.service, problem.signature) == ("proposed", svc, "HighErrorRate")
    assert problem.title == "Recurring on Checkout: HighErrorRate"
    assert set(problem.incidents.values_list("pk", flat=True)) == {i.pk for i in incidents}
    assert set(problem.clients.all()) == {a, b}
    assert [e.verb for e in timeline.for_object(problem)] == ["created", "linked", "linked", "linked"]
    assert "problem" in verbs(incidents[0])


def test_thresholds_come_from_settings(settings):
    svc = f.make_service()
    recurring(svc, n=2)
    assert services.propose_problems(NOW) == 0
    settings.OPSDESK_PROBLEM_MIN_INCIDENTS = 2
    assert services.propose_problems(NOW) == 2
    settings.OPSDESK_PROBLEM_WINDOW_DAYS = 1
    assert services.thresholds() == (2, dt.timedelta(days=1))


def test_a_recurrence_joins_the_existing_problem_and_reopens_a_resolved_one(desk):
    svc = f.make_service()
    recurring(svc)
    services.propose_problems(NOW)
    problem = Problem.objects.get()
    services.update_problem(problem, {"state": "open"}, desk)
    services.update_problem(problem, {"state": "resolved"}, desk)
    again = make_incident(services=[svc], signature="HighErrorRate", started_at=NOW)
    assert services.propose_problems(NOW + dt.timedelta(hours=1)) == 1
    again.refresh_from_db()
    problem.refresh_from_db()
    assert again.problem == problem and problem.state == "open"
    assert "recurred" in timeline.for_object(problem).filter(verb="transition").last().summary


def test_the_periodic_task_proposes():
    recurring(f.make_service())
    with clock.frozen(NOW):
        assert tasks.propose_recurring_problems.call() == 3
        assert tasks.propose_recurring_problems.call() == 0


def test_an_incident_linked_by_hand_stays_with_its_problem(desk):
    svc = f.make_service()
    first, *rest = recurring(svc)
    other = Problem.objects.create(title="Manual", service=None, signature="x")
    services.link_incident(other, first, desk)
    services.propose_problems(NOW)
    first.refresh_from_db()
    assert first.problem == other
    proposed = Problem.objects.get(signature="HighErrorRate")
    assert set(proposed.incidents.all()) == set(rest)


def test_update_problem_fields_and_state(desk):
    problem = Problem.objects.create(title="Queue stalls", signature="QueueStalled")
    with pytest.raises(Conflict, match="fill in known_error"):
        services.update_problem(problem, {"state": "known_error"}, desk)
    problem = services.update_problem(
        problem, {"state": "known_error", "known_error": "Consumer deadlocks", "workaround": "Restart it", "owner": desk.pk}, desk
    )
    assert (problem.state, problem.owner, problem.workaround) == ("known_error", desk, "Restart it")
    entries = list(timeline.for_object(problem))
    assert [e.verb for e in entries] == ["updated", "transition"]
    assert entries[0].summary == "Changed known error, workaround, owner"
    for data, field in (({"title": " "}, "title"), ({"owner": 999999}, "owner"), ({"state": None}, "state")):
        with pytest.raises(InvalidInput) as err:
            services.update_problem(problem, data, desk)
        assert err.value.errors[0]["field"] == field
    with pytest.raises(Conflict, match="can move to"):
        services.update_problem(problem, {"state": "dismissed"}, desk)
    services.update_problem(problem, {"owner": None}, desk)
    problem.refresh_from_db()
    assert problem.owner is None


def test_link_incident_derives_clients_and_refuses_another_problems_incident(desk):
    a = f.make_client()
    problem = Problem.objects.create(title="P", signature="s")
    incident = make_incident(services=[f.make_service(a)])
    services.link_incident(problem, incident, desk)
    services.link_incident(problem, incident, desk)  # again: nothing changes
    assert list(problem.clients.all()) == [a]
    assert timeline.for_object(problem).filter(verb="linked").count() == 1
    other = Problem.objects.create(title="Q", signature="t")
    with pytest.raises(Conflict, match=f"already part of problem PRB-{problem.pk}"):
        services.link_incident(other, incident, desk)
    assert Incident.objects.get(pk=incident.pk).problem == problem
    assert not other.clients.exists()


def test_incident_started_at_is_the_factory_default():
    assert make_incident().started_at == T0
    assert ActionItem.objects.count() == 0
