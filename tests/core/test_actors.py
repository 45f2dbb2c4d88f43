"""Who acted, as the timeline and the audit log record it: a person with their user and name, a
system actor (opsdesk itself, the CLI) by its name alone, an anonymous user as nobody, a bare name
as before; and the edges' `signed_in`, which hands services a person or refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from opsdesk.accounts.models import User
from opsdesk.core import timeline
from opsdesk.core.actors import OPSDESK, ActorRef, SystemActor, identify, signed_in
from opsdesk.core.audit import record_audit
from opsdesk.core.errors import PermissionDenied
from opsdesk.core.models import Activity, AuditEvent
from opsdesk.incidents import services as incident_services
from tests import factories as f
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def _recorded(actor: ActorRef) -> tuple[Activity, AuditEvent]:
    region = f.make_region()
    entry = timeline.record(region, "noted", actor=actor, summary="who did this?")
    event = record_audit("test.acted", actor=actor, target=f"region:{region.pk}")
    entry.refresh_from_db()
    event.refresh_from_db()
    return entry, event


def test_a_user_is_recorded_with_the_user_and_their_name():
    user = f.make_user("service_desk", username="hana")
    entry, event = _recorded(user)
    assert (entry.actor_id, entry.actor_label) == (user.pk, "hana")
    assert (event.actor_id, event.actor_label) == (user.pk, "hana")


@pytest.mark.parametrize("actor", [OPSDESK, SystemActor("cli")])
def test_a_system_actor_is_recorded_by_its_name_without_a_user(actor: SystemActor):
    entry, event = _recorded(actor)
    assert (entry.actor_id, entry.actor_label) == (None, actor.name)
    assert (event.actor_id, event.actor_label) == (None, actor.name)


def test_a_system_actor_is_never_taken_for_a_signed_in_user():
    assert not OPSDESK.is_authenticated
    assert OPSDESK.get_username() == str(OPSDESK) == "opsdesk"
    assert identify(OPSDESK) == (None, "opsdesk")


def test_an_anonymous_user_is_nobody_the_timeline_shows_as_system():
    entry, event = _recorded(AnonymousUser())
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    assert (event.actor_id, event.actor_label) == (None, "")


def test_no_actor_at_all_is_recorded_like_an_anonymous_one():
    entry, event = _recorded(None)
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    assert (event.actor_id, event.actor_label) == (None, "")


def test_a_bare_name_is_recorded_as_before():
    entry, event = _recorded("change event (deploys)")
    assert (entry.actor_id, entry.actor_label) == (None, "change event (deploys)")
    assert (event.actor_id, event.actor_label) == (None, "change event (deploys)")


def test_a_service_called_by_opsdesk_records_opsdesk_on_the_timeline():
    incident = make_incident(state="resolved")
    incident_services.transition_incident(incident, "investigating", actor=OPSDESK, reason="the alert came back")
    [entry] = timeline.for_object(incident).filter(verb="transition")
    assert (entry.actor_id, entry.actor_label) == (None, "opsdesk")
    assert entry.changes == {"state": ["resolved", "investigating"]}


def test_the_cli_acts_as_the_cli_system_actor():
    call_command("createuser", "olga", "--role", "service_desk", "--no-password")
    [event] = AuditEvent.objects.filter(action="user.created")
    assert (event.actor_id, event.actor_label) == (None, "cli")
    [entry] = timeline.for_object(User.objects.get(username="olga")).filter(verb="created")
    assert (entry.actor_id, entry.actor_label) == (None, "cli")


def test_signed_in_hands_services_the_person_and_refuses_an_anonymous_user():
    user = f.make_user("service_desk")
    assert signed_in(user) is user
    with pytest.raises(PermissionDenied):
        signed_in(AnonymousUser())
