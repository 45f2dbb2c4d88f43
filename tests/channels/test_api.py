"""The webhooks API: create shows the secret once, staff-only reads, write permission, refusals as
problem details with nothing written, deliveries with their attempts, replay, test, enable, rotate."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from opsdesk.channels import sending, services
from opsdesk.channels.models import Delivery, Endpoint
from tests import factories as f
from tests.channels.factories import message

pytestmark = pytest.mark.django_db


def test_create_answers_the_secret_once_and_the_receiver_verifies_with_it(admin_api, receiver):
    made = admin_api.post("webhooks", {"name": "Ops", "url": receiver.url("/hook"), "events": ["incident.opened"]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["signed"] and body["audience"] == "responders"
    one = admin_api.get(f"webhooks/{body['id']}").json()
    assert "secret" not in one and body["secret"] not in admin_api.get("webhooks").content.decode()
    receiver.secrets["/hook"] = body["secret"]
    services.publish("incident.opened", message())
    sending.deliver_due()
    assert receiver.on("/hook")[0].verified
    page = admin_api.get(f"webhooks/{body['id']}/deliveries").json()
    [item] = page["items"]
    assert item["state"] == "delivered" and item["tries"][0]["status_code"] == 200
    assert item["message_id"] == receiver.on("/hook")[0].headers["webhook-id"]
    replayed = admin_api.post(f"webhooks/{body['id']}/deliveries/{item['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["attempts"] == 2 and len(replayed.json()["tries"]) == 2
    rotated = admin_api.post(f"webhooks/{body['id']}/rotate-secret").json()["secret"]
    tested = admin_api.post(f"webhooks/{body['id']}/test").json()
    assert tested["event"] == "ping" and tested["state"] == "delivered"
    Webhook(rotated).verify(receiver.received[-1].body, receiver.received[-1].headers)


@pytest.mark.parametrize("body, field", [
    ({"name": "Loop", "url": "http://127.0.0.1:9/x"}, "url"),
    ({"name": "Meta", "url": "http://169.254.169.254/latest"}, "url"),
    ({"name": "Bad", "url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": "https://hooks.example.com/x"}, "name"),
    ({"name": "Who", "url": "https://hooks.example.com/x", "client": 99999}, "client"),
    ({"name": "Ev", "url": "https://hooks.example.com/x", "events": ["nope"]}, "events"),
    ({"name": "K", "url": "https://hooks.example.com/x", "kind": "sms"}, "kind"),
])
def test_bad_input_is_a_422_problem_and_nothing_is_written(admin_api, body, field):
    answer = admin_api.post("webhooks", body)
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"].startswith("application/problem+json") and field in answer.content.decode()
    assert not Endpoint.objects.exists()


def test_client_users_see_no_endpoints_and_other_roles_may_not_write(api_for):
    a = f.make_client()
    endpoint, _ = services.create_endpoint({"name": "A's hook", "url": "https://hooks.example.com/a",
                                            "client": a.pk}, actor=f.make_user("admin"))
    client_user = api_for(f.make_user("client", client=a))
    assert client_user.get("webhooks").json()["items"] == []
    assert client_user.get(f"webhooks/{endpoint.pk}").status_code == 404
    assert client_user.post(f"webhooks/{endpoint.pk}/test").status_code == 404
    engineer = api_for(f.make_user("engineer"))
    assert engineer.get(f"webhooks/{endpoint.pk}").status_code == 200
    assert engineer.post("webhooks", {"name": "x", "url": "https://hooks.example.com/x"}).status_code == 403
    assert engineer.patch(f"webhooks/{endpoint.pk}", {"active": False}).status_code == 403
    assert not Delivery.objects.exists()


def test_patch_switches_off_and_enable_switches_on(admin_api):
    endpoint, _ = services.create_endpoint({"name": "Hook", "url": "https://hooks.example.com/a"},
                                           actor=f.make_user("admin"))
    off = admin_api.patch(f"webhooks/{endpoint.pk}", {"active": False, "events": ["sla.breached"]}).json()
    assert off["active"] is False and off["disabled_reason"] and off["events"] == ["sla.breached"]
    assert services.publish("sla.breached", message("sla.breached")) == 0
    on = admin_api.post(f"webhooks/{endpoint.pk}/enable").json()
    assert on["active"] is True and on["disabled_at"] is None
    assert services.publish("sla.breached", message("sla.breached")) == 1
    assert admin_api.patch(f"webhooks/{endpoint.pk}", {"url": "http://10.0.0.1/x"}).status_code == 422
    assert admin_api.delete(f"webhooks/{endpoint.pk}").status_code == 204
    assert not Endpoint.objects.exists()


def test_rotating_a_slack_endpoint_is_a_409(admin_api):
    made = admin_api.post("webhooks", {"name": "S", "url": "https://hooks.slack.com/services/T/B/x", "kind": "slack"})
    assert made.json()["secret"] == "" and made.json()["signed"] is False
    assert admin_api.post(f"webhooks/{made.json()['id']}/rotate-secret").status_code == 409


def test_a_chat_endpoints_url_is_write_only(admin_api):
    url = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    made = admin_api.post("webhooks", {"name": "Desk", "url": url, "kind": "teams"}).json()
    assert made["url"] == "https://hooks.slack.com/…"
    admin_api.patch(f"webhooks/{made['id']}", {"url": url + "2"})
    for path in (f"webhooks/{made['id']}", f"webhooks/{made['id']}/timeline", "webhooks"):
        assert "very-secret-token" not in admin_api.get(path).content.decode()
    assert Endpoint.objects.get().url == url + "2"
