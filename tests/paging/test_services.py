"""The paging engine on a real database: start per severity rule, steps with waits, repeat,
exhaustion, acknowledgement stops and cancels, quiet hours, people's rules, role targets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from opsdesk.core import clock, timeline
from opsdesk.core.models import Notification
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import IncidentRole
from opsdesk.paging import services
from opsdesk.paging.models import Escalation, Page, PagingProfile
from tests import factories as f

from .helpers import T0, make_policy, open_incident, person, rule

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def run(at: dt.datetime) -> tuple[int, int]:
    with clock.frozen(at):
        return services.advance_due(at), services.send_due(at)


def summaries(incident: object) -> list[str]:
    return [e.summary for e in timeline.for_object(incident)]  # type: ignore[arg-type]


def test_sev1_pages_at_once_and_steps_advance_with_waits() -> None:
    alice, bob = f.make_user("engineer", username="alice"), f.make_user("engineer", username="bob")
    make_policy(person(alice, wait=5), person(bob, wait=5))
    owner = f.make_user("incident_commander")
    incident = open_incident(owner)
    esc = Escalation.objects.get(incident=incident)
    assert (esc.state, esc.urgency, esc.next_due_at) == ("active", "high", T0)
    assert run(T0) == (1, 1)
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert mail.outbox[0].subject == f"[INC-{incident.pk}] SEV1 EPR down"
    assert "/paging/a/" in mail.outbox[0].body
    assert run(T0 + 4 * MIN) == (0, 0)  # bob's step waits 5 minutes
    assert run(T0 + 5 * MIN) == (1, 1)
    assert mail.outbox[1].to == [bob.email]
    assert run(T0 + 10 * MIN) == (1, 0)  # past the last step: exhausted, owner told
    esc.refresh_from_db()
    assert esc.state == "exhausted"
    assert Notification.objects.filter(user=owner, title__contains="exhausted").exists()
    text = summaries(incident)
    assert "Step 1: paged alice: alice by email" in text
    assert "Notified alice by email" in text and "Notified bob by email" in text
    assert any(s.startswith("Escalation exhausted") for s in text)


def test_repeat_runs_the_policy_again() -> None:
    alice = f.make_user("engineer", username="alice")
    make_policy(person(alice, wait=1), repeat=1)
    incident = open_incident(f.make_user("incident_commander"))
    run(T0)
    run(T0 + MIN)
    run(T0 + 2 * MIN)
    keys = sorted(Page.objects.values_list("idempotency_key", flat=True))
    assert keys == [f"{incident.pk}:0:{alice.pk}:0:email", f"{incident.pk}:0:{alice.pk}:1:email"]
    assert len(mail.outbox) == 2
    assert Escalation.objects.get().state == "exhausted"


def test_acknowledge_stops_and_cancels_pending_pages() -> None:
    alice, bob = f.make_user("engineer", username="alice"), f.make_user("engineer", username="bob")
    rule(alice, "high", delay=0)
    rule(alice, "high", delay=2)  # a second email after 2 minutes
    make_policy(person(alice, wait=5), person(bob))
    incident = open_incident(f.make_user("incident_commander"))
    run(T0)
    assert list(Page.objects.order_by("due_at").values_list("state", flat=True)) == ["sent", "pending"]
    with clock.frozen(T0 + MIN):
        incidents.transition_incident(incident, "acknowledged", actor=alice)
    esc = Escalation.objects.get()
    assert (esc.state, esc.stopped_by, esc.next_due_at) == ("acknowledged", alice, None)
    assert list(Page.objects.order_by("due_at").values_list("state", flat=True)) == ["sent", "cancelled"]
    assert run(T0 + 10 * MIN) == (0, 0)
    assert len(mail.outbox) == 1
    assert "Escalation stopped: acknowledged by alice at step 1" in summaries(incident)


def test_resolving_stops_the_escalation() -> None:
    make_policy(person(f.make_user("engineer")))
    incident = open_incident(f.make_user("incident_commander"))
    incidents.transition_incident(incident, "resolved", actor=incident.owner, reason="restarted")
    assert Escalation.objects.get().state == "resolved"


def test_sev3_waits_for_the_sites_business_hours() -> None:
    alice = f.make_user("engineer")
    make_policy(person(alice))
    site = f.make_site(time_zone="Europe/London", holiday_country="")  # Mon-Fri 08:00-18:00
    saturday = dt.datetime(2026, 3, 7, 10, 0, tzinfo=dt.UTC)
    incident = open_incident(f.make_user("incident_commander"), severity="sev3", at=saturday, sites=[site.pk])
    esc = Escalation.objects.get(incident=incident)
    monday_8 = dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)
    assert (esc.urgency, esc.next_due_at) == ("low", monday_8)
    assert run(monday_8 - MIN) == (0, 0)
    assert run(monday_8) == (1, 1)


def test_sev3_inside_business_hours_starts_now() -> None:
    make_policy(person(f.make_user("engineer")))
    site = f.make_site(time_zone="Europe/London", holiday_country="")
    incident = open_incident(f.make_user("incident_commander"), severity="sev3", sites=[site.pk])
    assert Escalation.objects.get(incident=incident).next_due_at == T0


def test_sev4_is_ticket_only() -> None:
    make_policy(person(f.make_user("engineer")), name="Ops")
    incident = open_incident(f.make_user("incident_commander"), severity="sev4")
    assert Escalation.objects.get().state == "ticket"
    assert run(T0 + 60 * MIN) == (0, 0)
    assert "Ticket only: nobody is paged (policy Ops, sev4)" in summaries(incident)


def test_no_policy_no_escalation() -> None:
    open_incident(f.make_user("incident_commander"))
    assert not Escalation.objects.exists()


def test_quiet_hours_defer_low_urgency_only() -> None:
    alice = f.make_user("engineer")
    PagingProfile.objects.create(person=alice, time_zone="UTC", quiet_start=dt.time(22), quiet_end=dt.time(7))
    make_policy(person(alice), severity_rules={"sev1": "page", "sev3": "business_hours"})
    night = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    open_incident(f.make_user("incident_commander"), severity="sev1", at=night)
    open_incident(f.make_user("incident_commander"), severity="sev3", at=night)  # no site: 24x7
    run(night)
    pages = {p.escalation.urgency: p for p in Page.objects.select_related("escalation")}
    assert pages["high"].due_at == night and pages["high"].state == "sent"
    assert pages["low"].due_at == dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC) and pages["low"].state == "pending"


def test_person_rules_by_urgency_and_delay() -> None:
    alice = f.make_user("engineer")
    rule(alice, "high", delay=0, address="alice-pager@example.test")
    rule(alice, "high", delay=2)
    rule(alice, "low", delay=0, address="alice-low@example.test")
    make_policy(person(alice))
    open_incident(f.make_user("incident_commander"))
    run(T0)
    assert [m.to for m in mail.outbox] == [["alice-pager@example.test"]]
    run(T0 + 2 * MIN)
    assert [m.to for m in mail.outbox][1] == [alice.email]
    assert Page.objects.count() == 2


def test_roles_target_pages_role_holders_else_owner() -> None:
    owner, commander = f.make_user("incident_commander"), f.make_user("engineer", username="carol")
    make_policy({"target_kind": "roles", "roles": ["commander"], "wait_minutes": 5})
    incident = open_incident(owner)
    IncidentRole.objects.create(incident=incident, role="commander", user=commander, assigned_at=T0)
    other = open_incident(owner, at=T0)
    run(T0)
    by_incident = dict(Page.objects.values_list("escalation__incident", "person"))
    assert by_incident == {incident.pk: commander.pk, other.pk: owner.pk}
    assert "Step 1: paged the incident's commander: carol by email" in summaries(incident)


def test_team_target_pages_the_groups_members() -> None:
    team = Group.objects.create(name="EPR engineers")
    members = [f.make_user("engineer") for _ in range(3)]
    for m in members:
        m.groups.add(team)
    make_policy({"target_kind": "team", "team": "EPR engineers"})
    open_incident(f.make_user("incident_commander"))
    run(T0)
    assert sorted(r for m in mail.outbox for r in m.to) == sorted(m.email for m in members)


def test_rerun_creates_nothing_twice() -> None:
    alice = f.make_user("engineer")
    make_policy(person(alice))
    open_incident(f.make_user("incident_commander"))
    esc = Escalation.objects.get()
    run(T0)
    Escalation.objects.filter(pk=esc.pk).update(step_index=0, next_due_at=T0)  # as if the step's commit was lost
    run(T0)
    assert Page.objects.count() == 1 and len(mail.outbox) == 1


def test_escalate_now_runs_the_next_step() -> None:
    alice, bob = f.make_user("engineer"), f.make_user("engineer")
    make_policy(person(alice, wait=30), person(bob))
    incident = open_incident(f.make_user("incident_commander"))
    run(T0)
    with clock.frozen(T0 + MIN):
        services.escalate_now(incident, actor=alice)
        services.send_due()
    assert [m.to for m in mail.outbox] == [[alice.email], [bob.email]]


def test_failed_email_is_recorded(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    make_policy(person(f.make_user("engineer")))
    open_incident(f.make_user("incident_commander"))
    run(T0)
    page = Page.objects.get()
    assert page.state == "failed" and "Error" in page.detail


def test_schedule_target_pages_who_is_on_call_at_the_steps_instant() -> None:
    from opsdesk.oncall import services as oncall

    day, cover = f.make_user("engineer", username="dayshift"), f.make_user("engineer", username="cover")
    admin = f.make_user("admin")
    schedule = oncall.create_schedule({"name": "EPR 24x7", "time_zone": "Europe/London", "layers": [
        {"name": "Primary", "rotation": "weekly", "handoff": "09:00", "start": "2026-02-23", "people": [day.pk]}]}, admin)
    # cover takes over five minutes after the incident opens: step 2 (due then) must page cover, not day.
    oncall.add_override(schedule, {"person": cover.pk, "start": T0 + 4 * MIN, "end": T0 + 60 * MIN}, admin)
    step = {"target_kind": "schedule", "schedule": schedule, "wait_minutes": 5}
    make_policy(step, dict(step))
    incident = open_incident(f.make_user("incident_commander"))
    assert run(T0) == (1, 1)
    assert run(T0 + 5 * MIN) == (1, 1)
    assert [m.to for m in mail.outbox] == [[day.email], [cover.email]]
    assert "Step 1: paged the on-call of EPR 24x7: dayshift by email" in summaries(incident)
