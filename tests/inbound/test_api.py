"""The inbound mail API, pages and CLI: staff only, filters, escaping, retry, attachments."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from opsdesk.inbound import services
from opsdesk.inbound.models import InboundMessage
from tests import factories as f

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


def _raw(sender: str, subject: str, body: str, extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: desk@localhost\r\nSubject: {subject}\r\nMessage-ID: <x{f.n()}@e.example>\r\n"
            f"{extra}\r\n{body}\r\n").encode()


def _store(sender: str = "stranger@unknown.example", subject: str = "Hello", body: str = "Hi", extra: str = "") -> InboundMessage:
    return services.store_message(_raw(sender, subject, body, extra), mail_from=sender, rcpt_to=["desk@localhost"])


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_list_filters_by_outcome_and_links_what_it_became(admin_api, settings, tmp_path):
    settings.OPSDESK_MAIL_FILES_DIR = tmp_path
    auto = _store(subject="Out of office", extra="Auto-Submitted: auto-replied\r\n")
    other = _store()
    services.process(auto.pk)
    services.process(other.pk)
    out = admin_api.get("inbound/messages", outcome="ignored_auto").json()
    assert [m["id"] for m in out["items"]] == [auto.pk]
    out = admin_api.get("inbound/messages").json()
    assert {m["outcome"] for m in out["items"]} == {"ignored_auto", "unknown_sender"}
    assert admin_api.get("inbound/messages", outcome="nonsense").status_code == 422


def test_client_users_see_no_messages(api_for):
    message = _store()
    client_user = f.make_user("client", client=f.make_client())
    api = api_for(client_user)
    assert api.get("inbound/messages").json()["count"] == 0
    assert api.get(f"inbound/messages/{message.pk}").status_code == 404
    assert login(client_user).get(f"/inbound/{message.pk}/").status_code == 404
    assert login(client_user).get("/inbound/").status_code == 404


def test_retry_of_a_processed_message_is_409_and_changes_nothing(admin_api):
    message = _store()
    services.process(message.pk)
    answer = admin_api.post(f"inbound/messages/{message.pk}/retry")
    assert answer.status_code == 409
    assert InboundMessage.objects.get(pk=message.pk).attempts == 1


def test_engineers_may_not_retry(api_for):
    message = _store()
    InboundMessage.objects.filter(pk=message.pk).update(state="failed")
    answer = api_for(f.make_user("engineer"), scopes=["read", "write"]).post(f"inbound/messages/{message.pk}/retry")
    assert answer.status_code == 403
    assert InboundMessage.objects.get(pk=message.pk).state == "failed"


def test_pages_escape_the_sender_text_and_retry_from_the_page(admin_user):
    message = _store(sender="evil@unknown.example", subject=XSS, body=XSS)
    InboundMessage.objects.filter(pk=message.pk).update(state="failed", error="RuntimeError: boom")
    http = login(admin_user)
    listing = http.get("/inbound/").content.decode()
    assert XSS not in listing and "&lt;script&gt;" in listing and f"/inbound/{message.pk}/" in listing
    page = http.get(f"/inbound/{message.pk}/").content.decode()
    assert XSS not in page and "RuntimeError: boom" in page and 'data-testid="retry"' in page
    assert http.post(f"/inbound/{message.pk}/retry/").status_code == 302
    message.refresh_from_db()
    assert (message.state, message.outcome) == ("processed", "unknown_sender")
    assert 'data-testid="retry"' not in http.get(f"/inbound/{message.pk}/").content.decode()


def test_navigation_has_the_inbound_page_for_staff(admin_user):
    assert 'href="/inbound/"' in login(admin_user).get("/inbound/").content.decode()


def test_attachment_download_staff_and_the_client_whose_work_it_became(admin_user, settings, tmp_path):
    settings.OPSDESK_MAIL_FILES_DIR = tmp_path
    f.make_user("service_desk")
    acme = f.make_client()
    f.make_site(clients=[acme], code="LON1")
    carol = f.make_user("client", client=acme, email="carol@acme.example")
    raw = (b"From: carol@acme.example\r\nTo: desk@localhost\r\nSubject: Audit LON1\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nPlease.\r\n"
           b"--XX\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"list.txt\"\r\n\r\n"
           b"rack 4\r\n--XX--\r\n")
    message = services.store_message(raw, mail_from="carol@acme.example", rcpt_to=["desk@localhost"])
    message = services.process(message.pk)
    assert message.outcome == "new_request"
    part = message.attachments.get()
    url = f"/inbound/{message.pk}/attachments/{part.pk}/"
    assert b"".join(login(admin_user).get(url).streaming_content).strip() == b"rack 4"
    assert login(carol).get(url).status_code == 200
    stranger = f.make_user("client", client=f.make_client())
    assert login(stranger).get(url).status_code == 404


def test_cli_process_pending_and_list():
    first, second = _store(subject="One"), _store(subject="Two")
    out = StringIO()
    call_command("mail", "--process-pending", stdout=out)
    assert "processed: 2" in out.getvalue()
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    out = StringIO()
    call_command("mail", "--list", "--limit", "1", stdout=out)
    assert "Two" in out.getvalue() and "One" not in out.getvalue() and str(second.pk) in out.getvalue()
    assert first.pk


@pytest.mark.parametrize("raw", [
    b"",
    b"\xff\xfe\x00garbage without headers",
    b"From: =?utf-8?q?broken\r\nSubject: =?bogus?x?zzz?=\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
    b"From: a@b\r\nContent-Type: text/plain; charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
    b"To: <<<@>>>\r\nMessage-ID: <\r\nReferences: <<>>\r\nFrom: \"unterminated\r\n\r\nx",
])
def test_malformed_messages_get_an_outcome_and_their_pages_render(admin_user, admin_api, raw):
    message = services.store_message(raw, mail_from="x@unknown.example", rcpt_to=["desk@localhost"])
    message = services.process(message.pk)
    assert message.state in ("processed", "failed") and (message.outcome or message.error)
    assert admin_api.get(f"inbound/messages/{message.pk}").status_code == 200
    assert login(admin_user).get(f"/inbound/{message.pk}/").status_code == 200


def test_the_safety_net_processes_only_messages_left_received_for_a_minute():
    import datetime as dt

    from opsdesk.core import clock
    from opsdesk.inbound.tasks import process_stale

    old, new = _store(subject="Old"), _store(subject="New")
    InboundMessage.objects.filter(pk=old.pk).update(received_at=clock.now() - dt.timedelta(minutes=2))
    assert process_stale.call() == {"processed": 1}
    assert dict(InboundMessage.objects.values_list("id", "state")) == {old.pk: "processed", new.pk: "received"}
