"""The channels pages: the list, adding an endpoint (its secret shown once), one endpoint with its
deliveries and their answers, replay, enable, rotate and test buttons; staff only; text escaped."""

from __future__ import annotations

import re

import pytest
from django.test import Client as Browser
from standardwebhooks import Webhook

from opsdesk.channels import sending, services
from opsdesk.channels.models import Delivery, Endpoint
from tests import factories as f
from tests.channels.factories import make_endpoint, message

pytestmark = pytest.mark.django_db


def _browser(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def test_adding_an_endpoint_shows_its_secret_once_and_the_receiver_verifies_with_it(receiver):
    admin = f.make_user("admin")
    browser = _browser(admin)
    assert browser.get("/channels/new/").status_code == 200
    page = browser.post("/channels/new/", {"name": "<b>Ops</b>", "kind": "webhook", "url": receiver.url("/hook"),
                                           "failure_threshold": 10, "events": ["incident.opened"]})
    assert page.status_code == 200
    html = page.content.decode()
    secret = re.search(r"<code>(whsec_[^<]+)</code>", html).group(1)
    assert "&lt;b&gt;Ops&lt;/b&gt;" in html and "<b>Ops</b>" not in html
    endpoint = Endpoint.objects.get()
    assert secret not in browser.get(f"/channels/{endpoint.pk}/").content.decode()  # once
    receiver.secrets["/hook"] = secret
    services.publish("incident.opened", message())
    sending.deliver_due()
    assert receiver.on("/hook")[0].verified
    detail = browser.get(f"/channels/{endpoint.pk}/").content.decode()
    assert "HTTP 200" in detail and Delivery.objects.get().message_id in detail
    listing = browser.get("/channels/").content.decode()
    assert "delivered" in listing and "&lt;b&gt;Ops&lt;/b&gt;" in listing
    # Replay, rotate, test, disable and enable from the page.
    delivery = Delivery.objects.get()
    assert browser.post(f"/channels/{endpoint.pk}/deliveries/{delivery.pk}/replay/").status_code == 302
    assert len(receiver.on("/hook")) == 2
    rotated = browser.post(f"/channels/{endpoint.pk}/rotate/").content.decode()
    new_secret = re.search(r"<code>(whsec_[^<]+)</code>", rotated).group(1)
    assert new_secret != secret
    assert browser.post(f"/channels/{endpoint.pk}/test/").status_code == 302
    Webhook(new_secret).verify(receiver.received[-1].body, receiver.received[-1].headers)
    browser.post(f"/channels/{endpoint.pk}/disable/")
    assert not Endpoint.objects.get().active
    browser.post(f"/channels/{endpoint.pk}/enable/")
    assert Endpoint.objects.get().active


def test_a_refused_url_is_shown_on_the_form_and_nothing_is_saved():
    browser = _browser(f.make_user("admin"))
    page = browser.post("/channels/new/", {"name": "Meta", "kind": "webhook", "url": "http://169.254.169.254/",
                                           "failure_threshold": 10})
    assert page.status_code == 400 and "link-local" in page.content.decode()
    assert not Endpoint.objects.exists()


def test_client_users_do_not_find_the_pages_and_other_staff_may_only_read():
    client = f.make_client()
    endpoint, _ = make_endpoint("https://hooks.example.com/x", client=client.pk)
    client_browser = _browser(f.make_user("client", client=client))
    for path in ("/channels/", "/channels/new/", f"/channels/{endpoint.pk}/"):
        assert client_browser.get(path).status_code == 404
    engineer = _browser(f.make_user("engineer"))
    assert engineer.get(f"/channels/{endpoint.pk}/").status_code == 200
    assert engineer.get("/channels/new/").status_code == 403
    assert engineer.post(f"/channels/{endpoint.pk}/disable/").status_code == 403
    assert Endpoint.objects.get().active
