"""Email wording as data: the shipped texts with an empty table, overrides per audience and per
client, refusals at save (422, nothing saved), reset, the API, the staff page and `opsdesk mail
templates`. Notification emails go through the worker to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from django.db import transaction

from opsdesk.core import notify
from opsdesk.core.mailtemplates import defaults, rendering, services
from opsdesk.core.models import AuditEvent, MailTemplate
from tests import factories as f

from .test_notify import Inbox, run_worker, smtp  # noqa: F401  (the SMTP fixture)

pytestmark = pytest.mark.django_db

URL = "mail-templates/notification/client"


def _old_notification(title: str, body: str, url: str, base: str) -> tuple[str, str]:
    """The notification email as the code wrote it before templates were data."""
    link = f"\n\n{base}{url}" if url else ""
    return f"[opsdesk] {title}", f"{body}{link}"


@pytest.mark.parametrize("url", ["/work/17/", ""])
@pytest.mark.parametrize("audience", ["staff", "client"])
def test_an_empty_table_sends_todays_notification_text(settings, audience, url):
    context = {"title": "Visit DC2 tomorrow", "body": "Bring the <access> card & badge.",
               "link": f"{settings.BASE_URL}{url}" if url else ""}
    assert rendering.render("notification", audience, context) == _old_notification(
        "Visit DC2 tomorrow", "Bring the <access> card & badge.", url, settings.BASE_URL)


@pytest.mark.django_db(transaction=True)
def test_a_client_override_reaches_that_clients_users_only(smtp: Inbox):  # noqa: F811
    acme, globex = f.make_client(name="Acme"), f.make_client(name="Globex")
    carol = f.make_user("client", client=acme, email="carol@acme.example")
    gina = f.make_user("client", client=globex, email="gina@globex.example")
    erin = f.make_user("engineer", email="erin@provider.example")
    admin = f.make_user("admin")
    services.set_override("notification", "client", client_id=acme.pk, actor=admin,
                          subject="Acme service desk: {{ title }}",
                          body="Dear {{ client_name }} colleague,\n\n{{ body }}\n{{ link }}")
    with transaction.atomic():
        notify.notify([carol, gina, erin], "Visit DC2 tomorrow", "Bring the access card.", "/work/1/")
    run_worker()
    by_rcpt = {rcpts[0]: message for rcpts, message in smtp.messages}
    carols = by_rcpt["carol@acme.example"]
    assert carols["Subject"] == "Acme service desk: Visit DC2 tomorrow"
    assert _text(carols) == f"Dear Acme colleague,\n\nBring the access card.\n{_base()}/work/1/"
    for other in ("gina@globex.example", "erin@provider.example"):
        assert by_rcpt[other]["Subject"] == "[opsdesk] Visit DC2 tomorrow"
        assert _text(by_rcpt[other]) == f"Bring the access card.\n\n{_base()}/work/1/"


def _text(message) -> str:
    """The body as written (SMTP carries CRLF line ends and a final line end)."""
    return message.get_payload(decode=True).decode().replace("\r\n", "\n").removesuffix("\n")


def _base() -> str:
    from django.conf import settings

    return str(settings.BASE_URL)


def test_the_client_wording_wins_over_the_audience_wording_which_wins_over_the_shipped_one():
    acme, globex = f.make_client(), f.make_client()
    admin = f.make_user("admin")
    services.set_override("notification", "client", subject="All clients: {{ title }}", actor=admin)
    services.set_override("notification", "client", client_id=acme.pk, subject="Acme: {{ title }}", actor=admin)
    ctx = {"title": "T", "body": "B", "link": ""}
    assert rendering.render("notification", "client", ctx, client=acme)[0] == "Acme: T"
    assert rendering.render("notification", "client", ctx, client=globex.pk) == ("All clients: T", "B")
    assert rendering.render("notification", "staff", ctx) == ("[opsdesk] T", "B")
    assert services.reset("notification", "client", client_id=acme.pk, actor=admin)
    assert rendering.render("notification", "client", ctx, client=acme)[0] == "All clients: T"


def test_a_stored_template_that_fails_to_render_falls_back_to_the_shipped_text(caplog):
    # Valid at save (the url tag compiles); the name it reverses is gone when the email is sent.
    MailTemplate.objects.create(key="notification", audience="staff", subject="{% url 'no-such-route' %}",
                                body="x", updated_at="2026-01-01T00:00:00Z")
    with caplog.at_level(logging.ERROR, logger="opsdesk.core.mailtemplates.rendering"):
        got = rendering.render("notification", "staff", {"title": "T", "body": "B", "link": ""})
    assert got == ("[opsdesk] T", "B")
    assert "failed to render" in caplog.text


def test_subject_line_breaks_become_spaces():
    admin = f.make_user("admin")
    services.set_override("notification", "staff", subject="{{ title }}\nsecond line", actor=admin)
    assert rendering.render("notification", "staff", {"title": "T"})[0] == "T second line"


# --- API ---------------------------------------------------------------------------------------
def test_api_lists_every_email_with_its_variables(admin_api):
    items = admin_api.get("mail-templates").json()["items"]
    assert [(i["key"], i["audience"]) for i in items] == defaults.pairs()
    page = next(i for i in items if i["key"] == "paging.page")
    assert page["override"] is None and not page["customised"]
    assert {"person_name", "actions", "acknowledge_url"} <= {v["name"] for v in page["variables"]}
    assert page["default"]["subject"] == defaults.PAGE_SUBJECT


def test_api_put_preview_and_delete(admin_api):
    client = f.make_client(name="Northgate")
    r = admin_api.put(URL, {"subject": "Northgate: {{ title }}", "client": client.pk})
    assert r.status_code == 200, r.content
    assert r.json()["client_overrides"][0]["client_name"] == "Northgate" and r.json()["override"] is None
    preview = admin_api.post(f"{URL}/preview", {"client": client.pk}).json()
    assert preview["subject"] == "Northgate: Visit DC2 tomorrow"
    tried = admin_api.post(f"{URL}/preview", {"body": "Hi {{ user_name|upper }}"}).json()
    assert tried == {"subject": "[opsdesk] Visit DC2 tomorrow", "body": "Hi CLIENT READER"}
    assert AuditEvent.objects.filter(action="mail_template.changed").count() == 1
    assert admin_api.delete(f"{URL}?client={client.pk}").status_code == 204
    assert not MailTemplate.objects.exists()
    assert admin_api.get(URL).json()["client_overrides"] == []
    assert AuditEvent.objects.filter(action="mail_template.reset").count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": "{% if title %}no end"}, "subject"),
    ({"body": "{{ title|no_such_filter }}"}, "body"),
    ({"subject": "ok", "body": "{% for %}"}, "body"),
    ({"subject": "   "}, "subject"),
    ({}, "body"),
])
def test_a_bad_template_is_422_naming_the_field_and_nothing_is_saved(admin_api, body, field):
    r = admin_api.put("mail-templates/paging.page/responders", body)
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert not MailTemplate.objects.exists()
    if body:  # a preview of the same texts is refused alike (an empty one shows what applies now)
        assert admin_api.post("mail-templates/paging.page/responders/preview", body).status_code == 422


def test_client_refused_where_the_email_is_the_same_for_every_client(admin_api):
    client = f.make_client()
    r = admin_api.put("mail-templates/paging.page/responders", {"subject": "x", "client": client.pk})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "client"
    r = admin_api.put(URL, {"subject": "x", "client": 999999})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "client"
    assert not MailTemplate.objects.exists()


def test_unknown_email_or_audience_is_404(admin_api):
    assert admin_api.get("mail-templates/paging.page/public").status_code == 404
    assert admin_api.put("mail-templates/nope/staff", {"subject": "x"}).status_code == 404


def test_staff_only_and_writing_needs_the_permission(api_for):
    client = f.make_client()
    reader = api_for(f.make_user("client", client=client))
    assert reader.get("mail-templates").json() == {"items": [], "count": 0}
    assert reader.get(URL).status_code == 404
    assert reader.put(URL, {"subject": "x"}).status_code == 404
    assert reader.post(f"{URL}/preview", {}).status_code == 404
    assert reader.delete(URL).status_code == 404
    engineer = api_for(f.make_user("engineer"))
    assert engineer.get(URL).status_code == 200
    assert engineer.put(URL, {"subject": "x"}).status_code == 403
    desk = api_for(f.make_user("service_desk"))
    assert desk.put(URL, {"subject": "Desk: {{ title }}"}).status_code == 200
    assert not MailTemplate.objects.filter(client__isnull=False).exists()


# --- the page ------------------------------------------------------------------------------------
def test_staff_page_lists_previews_saves_and_resets(client, admin_user):
    client.force_login(admin_user)
    listing = client.get("/mail-templates/")
    assert listing.status_code == 200 and b"paging.page" in listing.content
    assert b'href="/mail-templates/"' in client.get("/").content  # the navigation entry
    url = "/mail-templates/paging.page/responders/"
    page = client.get(url).content.decode()
    assert "You are being paged for INC-42" in page and "person_name" in page
    tried = client.post(url, {"action": "preview", "subject": "PAGE {{ incident_ref }}", "body": "Hi {{ person_name }}"})
    assert tried.status_code == 200 and "PAGE INC-42" in tried.content.decode()
    assert not MailTemplate.objects.exists()
    bad = client.post(url, {"action": "save", "subject": "{% if %}", "body": "x"})
    assert bad.status_code == 400 and "not a valid template" in bad.content.decode()
    assert not MailTemplate.objects.exists()
    saved = client.post(url, {"action": "save", "subject": "PAGE {{ incident_ref }}", "body": "Hi {{ person_name }}"})
    assert saved.status_code == 302
    assert MailTemplate.objects.get().subject == "PAGE {{ incident_ref }}"
    assert "customised" in client.get("/mail-templates/").content.decode()
    assert client.post(url, {"action": "reset"}).status_code == 302
    assert not MailTemplate.objects.exists()


def test_page_per_client_wording(client, admin_user):
    acme = f.make_client(name="Acme")
    client.force_login(admin_user)
    url = f"/mail-templates/notification/client/?client={acme.pk}"
    assert client.post(url, {"action": "save", "subject": "Acme {{ title }}", "body": "{{ body }}"}).status_code == 302
    assert MailTemplate.objects.get().client_id == acme.pk
    assert "This client's own wording" in client.get(url).content.decode()


def test_page_is_404_for_client_users_and_read_only_without_the_permission(client):
    acme = f.make_client()
    client.force_login(f.make_user("client", client=acme))
    assert client.get("/mail-templates/").status_code == 404
    assert client.get("/mail-templates/notification/client/").status_code == 404
    client.force_login(f.make_user("engineer"))
    assert client.get("/mail-templates/notification/staff/").status_code == 200
    assert client.post("/mail-templates/notification/staff/", {"action": "save", "subject": "x", "body": "y"}).status_code == 403
    assert not MailTemplate.objects.exists()


# --- the CLI -------------------------------------------------------------------------------------
def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("mail", "templates", *args, stdout=out)
    return out.getvalue()


def test_cli_lists_shows_sets_and_resets(tmp_path):
    assert "inbound.unknown_sender" in _cli("list")
    assert "We received your email" in _cli("show", "inbound.unknown_sender", "public")
    body = tmp_path / "body.txt"
    body.write_text("Hello,\n\nWe will answer within a day.\n{{ portal }}\n")
    _cli("set", "inbound.unknown_sender", "public", "--subject", "Thanks: {{ original_subject }}", "--body-file", str(body))
    row = MailTemplate.objects.get()
    assert (row.subject, row.body, row.updated_by_label) == (
        "Thanks: {{ original_subject }}", body.read_text(), "cli")
    assert "customised" in _cli("list")
    assert "We will answer within a day." in _cli("show", "inbound.unknown_sender", "public")
    _cli("reset", "inbound.unknown_sender", "public")
    assert not MailTemplate.objects.exists()


def test_cli_refuses_a_bad_template():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="subject: not a valid template"):
        _cli("set", "paging.page", "responders", "--subject", "{% if %}")
    assert not MailTemplate.objects.exists()
