"""Builders of channels test data."""

from __future__ import annotations

from typing import Any

from opsdesk.accounts.models import User
from opsdesk.channels import services
from opsdesk.channels.messages import Action, Message
from opsdesk.channels.models import Endpoint
from tests import factories as f


def make_endpoint(url: str, *, actor: User | None = None, **data: Any) -> tuple[Endpoint, str]:
    """An endpoint (and its secret) made through the service, as an admin would."""
    actor = actor or f.make_user("admin")
    data.setdefault("name", f"Endpoint {f.n()}")
    return services.create_endpoint({"url": url, **data}, actor=actor)


def message(event: str = "incident.opened", **kw: Any) -> Message:
    """A message with fields and actions, and user text with Slack's control characters."""
    kw.setdefault("title", "INC-7 <EPR> down & out")
    kw.setdefault("summary", "Clinicians cannot open records <@here> & more")
    kw.setdefault("severity", "SEV1")
    kw.setdefault("status", "open")
    kw.setdefault("url", "https://opsdesk.example/incidents/7/")
    kw.setdefault("fields", (("Service", "EPR"), ("Site", "Northgate <main>")))
    kw.setdefault("actions", (Action("Acknowledge", "https://opsdesk.example/a/ack", "primary"),
                              Action("Escalate", "https://opsdesk.example/a/esc", "danger")))
    kw.setdefault("thread_key", "incident:7")
    return Message(event=event, **kw)
