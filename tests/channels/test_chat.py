"""Slack and Microsoft Teams bodies: Slack's Block Kit validated with slack_sdk's models, and both
checked for their documented shape by the loopback receiver they are posted to."""

from __future__ import annotations

import pytest

from opsdesk.channels import sending, services, slack, teams
from opsdesk.channels.messages import Action, Message
from opsdesk.channels.models import Delivery
from tests.channels.factories import make_endpoint, message
from tests.channels.slackapi import slack_shape as _slack_shape

pytestmark = pytest.mark.django_db

MESSAGES = [
    message(),
    Message(event="sla.breached", title="WO-12 breached"),  # no summary, fields or actions
    message(title="x" * 400, summary="y" * 5000, fields=tuple((f"f{i}", "v" * 3000) for i in range(14)),
            actions=tuple(Action(f"Action {i} " + "z" * 100, f"https://opsdesk.example/{i}") for i in range(30))),
]


def _teams_shape(body: dict) -> None:
    """What a Teams Workflows webhook takes: a message with one Adaptive Card attachment."""
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive" and attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    title, summary, *rest = card["body"]
    assert title == {"type": "TextBlock", "text": title["text"], "weight": "Bolder", "size": "Medium", "wrap": True}
    assert summary["type"] == "TextBlock" and summary["wrap"] is True and summary["text"]
    for element in rest:
        assert element["type"] == "FactSet" and all(set(fact) == {"title", "value"} for fact in element["facts"])
    for action in card["actions"]:
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith("https://") and action["title"]


@pytest.mark.parametrize("msg", MESSAGES)
def test_every_slack_message_validates_as_block_kit(msg):
    body = slack.render(msg)
    _slack_shape(body)
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds[:2] == ["header", "section"]


def test_slack_escapes_control_characters_and_styles_buttons():
    body = slack.render(message())
    header, section, context, actions = body["blocks"]
    assert header["text"]["text"] == "INC-7 <EPR> down & out"  # plain text: shown as written
    assert section["text"]["text"] == "Clinicians cannot open records &lt;@here&gt; &amp; more"
    assert section["fields"][1]["text"] == "*Site*\nNorthgate &lt;main&gt;"
    assert "SEV1" in context["elements"][0]["text"]
    assert [(b["text"]["text"], b.get("style")) for b in actions["elements"]] == [
        ("Acknowledge", "primary"), ("Escalate", "danger"), ("Open in opsdesk", None)]
    assert "<" not in body["text"].replace("&lt;", "")


@pytest.mark.parametrize("msg", MESSAGES)
def test_every_teams_message_has_the_workflows_adaptive_card_shape(msg):
    _teams_shape(teams.render(msg))


def test_slack_and_teams_endpoints_receive_their_documented_shapes(receiver):
    make_endpoint(receiver.url("/slack"), kind="slack")
    make_endpoint(receiver.url("/teams"), kind="teams")
    receiver.checks["/slack"] = _slack_shape
    receiver.checks["/teams"] = _teams_shape
    assert services.publish("incident.opened", message()) == 2
    assert sending.deliver_due() == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    [got_slack], [got_teams] = receiver.on("/slack"), receiver.on("/teams")
    assert got_slack.problem == "" and got_teams.problem == ""
    assert "webhook-signature" not in got_slack.headers  # chat webhooks are not signed
    card = got_teams.json["attachments"][0]["content"]
    assert card["body"][2]["facts"][0] == {"title": "Service", "value": "EPR"}
    assert card["actions"][0] == {"type": "Action.OpenUrl", "title": "Acknowledge", "url": "https://opsdesk.example/a/ack"}


def test_rotating_a_chat_endpoints_secret_is_refused(receiver):
    from opsdesk.core.errors import Conflict
    from tests import factories as f

    endpoint, secret = make_endpoint(receiver.url("/slack"), kind="slack")
    assert secret == ""
    with pytest.raises(Conflict):
        services.rotate_secret(endpoint, actor=f.make_user("admin"))
