"""Processing inbound mail, end to end through the real listener (smtplib -> `opsdesk mail`'s
handler -> stored -> the worker), answers captured by a real SMTP server."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.message import EmailMessage

import pytest

from opsdesk.core.models import Activity, Notification
from opsdesk.core.replies import parse_token, reply_address
from opsdesk.inbound import services
from opsdesk.inbound.models import InboundMessage
from opsdesk.workorders import services as wo_services
from opsdesk.workorders.models import Comment, WorkOrder
from tests import factories as f
from tests.incidents.factories import make_incident

from .conftest import DOMAIN, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(mail_settings):
    desk = f.make_user("service_desk", email="desk.agent@provider.example")
    acme, other = f.make_client(name="Acme"), f.make_client(name="Globex")
    lon = f.make_site(clients=[acme], code="LON1", name="London One")
    par = f.make_site(clients=[acme], code="PAR2", name="Paris Two")
    gsite = f.make_site(clients=[other], code="NYC3", name="New York Three")
    carol = f.make_user("client", client=acme, email="carol@acme.example")
    gina = f.make_user("client", client=other, email="gina@globex.example")
    return {"desk": desk, "acme": acme, "other": other, "lon": lon, "par": par, "gsite": gsite, "carol": carol,
            "gina": gina}


def _only() -> InboundMessage:
    return InboundMessage.objects.order_by("-id").first()  # type: ignore[return-value]


def test_new_request_from_a_client_contact_with_site_and_category_inferred(listener, compose, outbox, world):
    listener.send(compose("Carol <carol@acme.example>", "Cabling needed", "Please run two cables at PAR2.\n\n-- \nCarol"))
    run_worker()
    m = _only()
    assert (m.state, m.outcome, m.target_type) == ("processed", "new_request", "workorder")
    wo = WorkOrder.objects.get(pk=m.target_id)
    assert (wo.client, wo.site, wo.category, wo.state) == (world["acme"], world["par"], "cabling", "submitted")
    assert wo.title == "Cabling needed" and "Carol" not in wo.description
    assert m.detail["site"]["how"] == "named" and m.detail["category"]["how"] == "named"
    assert outbox.messages == []  # a known client is not auto-answered


def test_request_naming_no_site_is_left_for_the_desk(listener, compose, outbox, world):
    listener.send(compose("carol@acme.example", "Something broke", "Please help."))
    run_worker()
    m = _only()
    assert m.outcome == "needs_triage" and m.target_id is None
    assert not WorkOrder.objects.exists()
    assert Notification.objects.filter(user=world["desk"], url=f"/inbound/{m.pk}/").exists()


def _work_order(world, client="acme", site="lon") -> WorkOrder:
    return wo_services.create_work_order({"client": world[client].pk, "site": world[site].pk, "category": "install",
                                          "title": "Install a switch"}, actor=world["desk"])


def test_reply_with_the_work_order_tag_becomes_a_client_comment(listener, compose, outbox, world):
    wo = _work_order(world)
    body = "The rack is free from Monday.\n\nOn Mon, 7 Dec 2026, desk wrote:\n> When can we come?"
    listener.send(compose("carol@acme.example", f"Re: [WO-{wo.pk}] Install a switch", body))
    run_worker()
    m = _only()
    assert (m.outcome, m.target_type, m.target_id) == ("comment", "workorder", wo.pk)
    comment = Comment.objects.get(work_order=wo)
    assert comment.body == "The rack is free from Monday."
    assert comment.visibility == "client" and comment.author == world["carol"]
    assert bytes(m.raw).count(b"When can we come?") == 1  # the full message is kept


def test_staff_reply_is_a_staff_comment(listener, compose, outbox, world):
    wo = _work_order(world)
    listener.send(compose("desk.agent@provider.example", f"[WO-{wo.pk}]", "Parts ordered."))
    run_worker()
    comment = Comment.objects.get(work_order=wo)
    assert comment.author == world["desk"] and comment.visibility == "internal"


def test_reply_address_token_works(listener, compose, outbox, world):
    wo = _work_order(world)
    address = reply_address(wo, world["carol"])
    assert address.endswith(f"@{DOMAIN}") and parse_token(address.split("+", 1)[1].split("@")[0]) is not None
    listener.send(compose("carol@acme.example", "Re: your visit", "Thanks, confirmed.", to=address))
    run_worker()
    assert _only().outcome == "comment"
    assert Comment.objects.get(work_order=wo).body == "Thanks, confirmed."


def test_a_forged_token_is_not_trusted(listener, compose, outbox, world):
    wo = _work_order(world)
    forged = reply_address(wo, world["carol"]).replace(f"w{wo.pk}-", f"w{wo.pk + 1}-")
    listener.send(compose("nobody@unknown.example", "Re: visit", "hello", to=forged))
    run_worker()
    assert _only().outcome == "unknown_sender"
    assert not Comment.objects.exists()


def test_client_replying_to_another_clients_work_order_gets_no_comment(listener, compose, outbox, world):
    theirs = _work_order(world, client="other", site="gsite")
    listener.send(compose("carol@acme.example", f"Re: [WO-{theirs.pk}] Install", "Let me in"))
    run_worker()
    m = _only()
    assert m.outcome == "unknown_sender" and m.target_id is None
    assert not Comment.objects.filter(work_order=theirs).exists()
    (_to, answer), = outbox.messages
    assert f"WO-{theirs.pk}" not in answer.get_payload() and "Install" not in answer.get_payload()


def test_ack_reply_from_the_paged_person_acknowledges_the_incident(listener, compose, outbox, world):
    responder = f.make_user("incident_commander", email="ic@provider.example")
    incident = make_incident(owner=responder, state="triggered", acknowledged_after=None, clients=[world["acme"]])
    listener.send(compose("ic@provider.example", f"Re: [INC-{incident.pk}] Checkout errors", "ack\n\n> paged"))
    run_worker()
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and incident.acknowledged_at is not None
    assert _only().outcome == "acknowledged"
    assert Activity.objects.filter(object_id=incident.pk, verb="transition", summary__contains="by email reply").exists()
    # Again: already acknowledged, recorded without an error.
    listener.send(compose("ic@provider.example", f"Re: [INC-{incident.pk}] Checkout errors", "Acknowledge"))
    run_worker()
    assert (_only().state, _only().outcome, _only().detail.get("already")) == ("processed", "acknowledged", "acknowledged")


def test_ack_from_someone_neither_paged_nor_responding_is_only_an_update_request(listener, compose, outbox, world):
    owner = f.make_user("incident_commander")
    f.make_user("engineer", email="bystander@provider.example")
    incident = make_incident(owner=owner, state="triggered", acknowledged_after=None, clients=[world["acme"]])
    listener.send(compose("bystander@provider.example", f"Re: [INC-{incident.pk}] Checkout errors", "ack"))
    run_worker()
    incident.refresh_from_db()
    assert incident.state == "triggered" and _only().outcome == "update_request"


def test_the_paged_person_acknowledges_by_replying_ack_to_the_page_email(listener, compose, outbox, world):
    from opsdesk.core import clock
    from opsdesk.paging import services as paging
    from opsdesk.paging.models import Escalation
    from tests.paging.helpers import make_policy, open_incident, person

    alice = f.make_user("engineer", username="alice", email="alice@provider.example")
    bob = f.make_user("engineer", username="bob", email="bob@provider.example")
    make_policy(person(alice, wait=5), person(bob))
    now = clock.now()
    incident = open_incident(f.make_user("incident_commander"), at=now)
    paging.advance_due(now)
    paging.send_due(now)
    (to, page), = outbox.messages
    assert to == ["alice@provider.example"]
    reply_to = page["Reply-To"]
    assert reply_to.startswith("reply+i") and reply_to.endswith(f"@{DOMAIN}")
    assert parse_token(reply_to.split("+", 1)[1].split("@")[0]).user_id == alice.pk
    listener.send(compose("alice@provider.example", f"Re: {page['Subject']}", "ack\n\n> You are being paged",
                          to=reply_to))
    run_worker()
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and _only().outcome == "acknowledged"
    esc = Escalation.objects.get(incident=incident)
    assert esc.state == "acknowledged" and esc.stopped_by == alice
    later = now + dt.timedelta(minutes=10)
    assert paging.advance_due(later) == 0 and len(outbox.messages) == 1  # bob is never paged


def test_other_text_on_an_incident_is_an_update_request_for_the_owner(listener, compose, outbox, world):
    owner = f.make_user("incident_commander")
    incident = make_incident(owner=owner, state="investigating", clients=[world["acme"]])
    listener.send(compose("carol@acme.example", f"Re: [INC-{incident.pk}]", "ack? when will it be fixed?"))
    run_worker()
    assert _only().outcome == "update_request"
    assert Activity.objects.filter(object_id=incident.pk, verb="update_requested").exists()
    assert Notification.objects.filter(user=owner, title__contains=f"INC-{incident.pk}").exists()


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"X_Autoreply": "yes"},
    {"X_Auto_Response_Suppress": "All"},
])
def test_automatic_mail_is_recorded_only(listener, compose, outbox, world, headers):
    wo = _work_order(world)
    listener.send(compose("stranger@unknown.example", f"Out of office [WO-{wo.pk}]", "I am away.", **headers))
    run_worker()
    m = _only()
    assert (m.state, m.outcome) == ("processed", "ignored_auto") and m.detail["reason"]
    assert outbox.messages == [] and not Comment.objects.exists()


def test_bounce_and_our_own_mail_are_ignored(listener, compose, outbox, world):
    listener.send(compose("mailer-daemon@mx.example", "Undelivered", "bounce"), mail_from="")
    listener.send(compose(f"desk@{DOMAIN}", "Loop", "ours"))
    run_worker()
    assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["ignored_auto", "ignored_auto"]
    assert outbox.messages == []


def test_unknown_sender_is_answered_once_in_24h_and_the_desk_told(listener, compose, outbox, world):
    listener.send(compose("stranger@unknown.example", "Quote please", "How much for a survey?"))
    run_worker()
    first = _only()
    assert first.outcome == "unknown_sender" and first.answered_at is not None
    (to, answer), = outbox.messages
    assert to == ["stranger@unknown.example"]
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["In-Reply-To"] == first.message_id and first.message_id in answer["References"]
    assert Notification.objects.filter(user=world["desk"], url=f"/inbound/{first.pk}/").exists()

    listener.send(compose("stranger@unknown.example", "Quote please (again)", "Hello?"))
    run_worker()
    second = _only()
    assert second.outcome == "unknown_sender" and second.answered_at is None
    assert len(outbox.messages) == 1
    # Our answer coming back (a loop through the sender's auto-reply) is never answered.
    looped = message_from_bytes(outbox.messages[0][1].as_bytes(), _class=EmailMessage)
    del looped["To"]
    looped["To"] = f"desk@{DOMAIN}"
    listener.send(looped, mail_from="stranger@unknown.example")
    run_worker()
    assert _only().outcome == "ignored_auto" and len(outbox.messages) == 1


def test_attachments_are_kept_and_listed_in_the_comment(listener, compose, outbox, world, settings):
    wo = _work_order(world)
    msg = compose("carol@acme.example", f"[WO-{wo.pk}] photos", "The rack, attached.")
    msg.add_attachment(b"\x89PNG fake image", maintype="image", subtype="png", filename="rack.png")
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="ports.csv")
    listener.send(msg)
    run_worker()
    m = _only()
    kept = list(m.attachments.order_by("id"))
    assert [(a.filename, a.content_type, a.size) for a in kept] == [
        ("rack.png", "image/png", 15), ("ports.csv", "text/csv", 8)]
    assert kept[0].file.read() == b"\x89PNG fake image"
    body = Comment.objects.get(work_order=wo).body
    assert "rack.png" in body and f"/inbound/{m.pk}/attachments/{kept[0].pk}/" in body


def test_a_failure_is_recorded_and_retryable(listener, compose, outbox, world):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(role__in=["service_desk", "admin"]).update(is_active=False)
    acme_contact = world["acme"]
    acme_contact.contact_email = "boss@acme.example"
    acme_contact.save()
    listener.send(compose("boss@acme.example", "Audit LON1", "Please audit LON1."))
    run_worker()
    m = _only()
    assert m.state == "failed" and "service desk" in m.error and not WorkOrder.objects.exists()
    get_user_model().objects.filter(pk=world["desk"].pk).update(is_active=True)
    again = services.retry(m, actor=world["desk"])
    assert (again.state, again.outcome) == ("processed", "new_request")
    wo = WorkOrder.objects.get(pk=again.target_id)
    assert (wo.client, wo.site, wo.category) == (world["acme"], world["lon"], "audit")
    # Processing again changes nothing (one outcome).
    assert services.process(m.pk).target_id == wo.pk and WorkOrder.objects.count() == 1


def test_attachments_over_the_limit_are_recorded_not_kept(listener, compose, outbox, world, settings):
    settings.OPSDESK_MAIL_MAX_ATTACHMENTS = 1
    wo = _work_order(world)
    msg = compose("carol@acme.example", f"[WO-{wo.pk}] files", "Two files.")
    msg.add_attachment(b"one", maintype="text", subtype="plain", filename="one.txt")
    msg.add_attachment(b"two", maintype="text", subtype="plain", filename="two.txt")
    listener.send(msg)
    run_worker()
    m = _only()
    assert [a.filename for a in m.attachments.all()] == ["one.txt"]
    assert m.detail["attachments_skipped"] == ["two.txt"]
