"""Browser: an administrator finds "Email wording" in the navigation, changes the page email's
subject, previews it (user text shown as text, not markup), saves it, sees it marked customised,
and a broken template is refused on the form with nothing stored."""

from __future__ import annotations

import pytest

from opsdesk.core.mailtemplates.models import MailTemplate
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def test_an_administrator_rewords_the_page_email(page, live_server, sign_in) -> None:
    f.make_user("admin", username="root", password=PASSWORD)
    sign_in(page, "root", PASSWORD)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Email wording").first.click()
    table = page.get_by_test_id("mail-templates")
    table.get_by_role("link", name="paging.page").click()
    page.fill("input[name=subject]", "PAGE {{ incident_ref }} <b>{{ severity }}</b>")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("preview")
    assert "PAGE INC-" in preview.inner_text() and "<b>" in preview.inner_text()  # escaped: shown as typed
    assert not MailTemplate.objects.exists()  # a preview stores nothing
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    stored = MailTemplate.objects.get(key="paging.page", audience="responders")
    assert stored.subject == "PAGE {{ incident_ref }} <b>{{ severity }}</b>"
    page.goto(f"{live_server.url}/mail-templates/")
    row = page.get_by_test_id("mail-templates").locator("tr", has_text="paging.page")
    assert "customised" in row.inner_text()
    row.get_by_role("link", name="paging.page").click()
    page.fill("textarea[name=body]", "Hello {% if %}")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".field-error").count() >= 1
    assert MailTemplate.objects.get().body == stored.body  # nothing changed
