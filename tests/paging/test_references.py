"""What paging points at is real: a step's schedule or person and a contact method's endpoint are
foreign keys (an unknown id is a 422 naming the field; a used schedule cannot be deleted), a team is
the on-call of its schedules, and a reopened incident starts a new escalation run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from opsdesk.core import clock, timeline
from opsdesk.incidents import services as incidents
from opsdesk.oncall.models import Schedule
from opsdesk.paging import services
from opsdesk.paging.models import ContactMethod, Escalation, EscalationPolicy, EscalationStep, Page
from tests import factories as f
from tests.channels.factories import make_endpoint
from tests.oncall.helpers import make_schedule

from .helpers import T0, make_policy, open_incident, person

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def run(at: dt.datetime) -> tuple[int, int]:
    with clock.frozen(at):
        return services.advance_due(at), services.send_due(at)


def test_a_step_naming_an_unknown_schedule_is_a_422_naming_the_field(admin_api) -> None:
    r = admin_api.post("escalation-policies", {"name": "P", "steps": [
        {"target": "person", "ref": f.make_user("engineer").pk}, {"target": "schedule", "ref": 987654}]})
    assert r.status_code == 422, r.content
    assert "steps[1].ref" in r.content.decode() and "987654" in r.content.decode()
    assert not EscalationPolicy.objects.exists() and not EscalationStep.objects.exists()


def test_steps_keep_their_schedule_and_person_and_the_api_answers_ref(admin_api) -> None:
    alice = f.make_user("engineer", username="alice")
    schedule = make_schedule([alice])
    r = admin_api.post("escalation-policies", {"name": "P", "steps": [
        {"target": "schedule", "ref": schedule.pk, "wait_minutes": 5}, {"target": "person", "ref": alice.pk}]})
    assert r.status_code == 201, r.content
    assert [(s["target"], s["ref"]) for s in r.json()["steps"]] == [("schedule", schedule.pk), ("person", alice.pk)]
    first, second = EscalationStep.objects.order_by("position")
    assert first.schedule == schedule and first.person is None and second.person == alice


def test_a_schedule_used_by_a_policy_cannot_be_deleted(admin_api) -> None:
    schedule = make_schedule()
    make_policy({"target_kind": "schedule", "schedule": schedule})
    r = admin_api.delete(f"oncall/schedules/{schedule.pk}")
    assert r.status_code == 409, r.content
    assert "escalation step" in r.json()["detail"]
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_contact_methods_use_existing_internal_endpoints_of_their_kind(api_for, settings) -> None:
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    alice = f.make_user("engineer")
    api = api_for(alice)
    hook, _ = make_endpoint("http://127.0.0.1:9/hook", kind="webhook")
    slack, _ = make_endpoint("http://127.0.0.1:9/slack", kind="slack")
    theirs, _ = make_endpoint("http://127.0.0.1:9/client", kind="webhook", client=f.make_client().pk)
    for body, needle in [({"kind": "webhook", "endpoint": 424242}, "no channels endpoint 424242"),
                         ({"kind": "webhook", "endpoint": theirs.pk}, "client"),
                         ({"kind": "chat", "endpoint": hook.pk}, "not a chat endpoint"),
                         ({"kind": "webhook", "endpoint": slack.pk}, "not a webhook endpoint")]:
        r = api.post("paging/contact-methods", body)
        assert r.status_code == 422 and needle in r.content.decode(), (body, r.content)
        assert "endpoint" in r.content.decode()
    assert not ContactMethod.objects.exists()
    r = api.post("paging/contact-methods", {"kind": "chat", "endpoint": slack.pk, "label": "My Slack"})
    assert r.status_code == 201 and r.json()["endpoint"] == slack.pk
    assert ContactMethod.objects.get().endpoint == slack


def test_a_team_is_the_on_call_of_its_schedules_else_its_group() -> None:
    day, night, benched = (f.make_user("engineer", username=n) for n in ("day", "night", "benched"))
    group = Group.objects.create(name="EPR engineers")
    for member in (day, night, benched):
        member.groups.add(group)
    make_policy({"target_kind": "team", "team": "EPR engineers"})
    make_schedule([day], team="EPR engineers", name="EPR days")
    incident = open_incident(f.make_user("incident_commander"))
    assert run(T0) == (1, 1)
    assert [m.to for m in mail.outbox] == [[day.email]]  # on call now, not every member of the group
    assert any("paged team EPR engineers (on call in EPR days): day by email" in e.summary
               for e in timeline.for_object(incident))
    Schedule.objects.all().delete()
    EscalationPolicy.objects.all().delete()
    make_policy({"target_kind": "team", "team": "EPR engineers"})
    open_incident(f.make_user("incident_commander"), at=T0 + MIN)
    run(T0 + MIN)
    assert sorted(m.to[0] for m in mail.outbox[1:]) == sorted(u.email for u in (day, night, benched))


def test_a_reopened_incident_starts_a_new_run_that_pages_again_and_stops_on_acknowledgement(api_for) -> None:
    alice = f.make_user("engineer", username="alice")
    owner = f.make_user("incident_commander")
    make_policy(person(alice, wait=5), person(alice, wait=5))
    incident = open_incident(owner)
    run(T0)
    with clock.frozen(T0 + MIN):
        incidents.transition_incident(incident, "acknowledged", actor=alice)
        incidents.transition_incident(incident, "resolved", actor=alice, reason="failover done")
    assert [e.state for e in Escalation.objects.order_by("run")] == ["resolved"]
    with clock.frozen(T0 + 30 * MIN):
        incidents.transition_incident(incident, "investigating", actor=owner, reason="it came back")
    first, second = Escalation.objects.order_by("run")
    assert first.state == "resolved"
    assert (second.run, second.state, second.started_at) == (2, "active", T0 + 30 * MIN)
    assert run(T0 + 30 * MIN) == (1, 1)
    assert len(mail.outbox) == 2  # paged once for each opening
    assert Page.objects.filter(escalation=second).get().idempotency_key.startswith(f"{incident.pk}r2:")
    status = api_for(alice).get(f"incidents/{incident.pk}/escalation").json()
    assert status["run"] == 2 and status["state"] == "active"
    # Acknowledging the reopened (already "investigating") incident stops run 2 and its pending steps.
    with clock.frozen(T0 + 31 * MIN):
        r = api_for(alice).post(f"incidents/{incident.pk}/escalation/acknowledge")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged" and r.json()["run"] == 2
    assert run(T0 + 40 * MIN) == (0, 0) and len(mail.outbox) == 2
    assert any(e.summary.startswith("Escalation started again (reopened: run 2)") for e in timeline.for_object(incident))


def test_the_paging_page_adds_a_chat_method_on_an_internal_endpoint_only(settings) -> None:
    from django.test import Client as HttpClient

    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    alice = f.make_user("engineer")
    slack, _ = make_endpoint("http://127.0.0.1:9/slack", kind="slack", name="Responders Slack")
    theirs, _ = make_endpoint("http://127.0.0.1:9/client", kind="slack", name="Acme shared <b>",
                              client=f.make_client().pk)
    http = HttpClient()
    http.force_login(alice)
    page = http.get("/paging/me/").content.decode()
    assert "Responders Slack (Slack" in page and "Acme shared" not in page
    r = http.post("/paging/me/", {"form": "method", "m-kind": "chat", "m-endpoint": slack.pk, "m-label": "Slack DM"})
    assert r.status_code == 302
    assert ContactMethod.objects.get(person=alice).endpoint == slack
    r = http.post("/paging/me/", {"form": "method", "m-kind": "webhook", "m-endpoint": slack.pk})
    assert r.status_code == 200 and "not a webhook endpoint" in r.content.decode()
    r = http.post("/paging/me/", {"form": "method", "m-kind": "chat", "m-endpoint": theirs.pk})
    assert r.status_code == 200 and ContactMethod.objects.count() == 1
