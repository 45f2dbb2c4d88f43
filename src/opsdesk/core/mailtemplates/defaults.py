"""The wording opsdesk ships: key -> audience -> subject, body and the variables they may use.

An empty table sends exactly these texts; a `MailTemplate` row overrides one key and audience
(for every client, or for one client where the audience is per client). Texts are Django
template strings rendered as plain text (no HTML escaping: every email is text/plain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AUDIENCES = {
    "responders": "People paged for an incident",
    "staff": "Staff users (service desk, engineers, dispatchers)",
    "client": "A client's own users",
    "public": "Anyone writing in, not known to opsdesk",
}


@dataclass(frozen=True)
class Default:
    """One shipped template: what it is for, its texts, its variables and a sample context."""

    description: str
    subject: str
    body: str
    variables: dict[str, str]
    sample: dict[str, Any]
    per_client: bool = False  # the sender knows the recipient's client: a client's own wording may win


PAGE_SUBJECT = "[{{ incident_ref }}] {{ severity }} {{ title }}"
PAGE_BODY = """Hello {{ person_name }},

You are being paged for {{ incident_ref }}, a {{ severity }} incident: {{ title }}.
{{ summary }}

Please acknowledge it if you are taking it; otherwise the next person on the escalation will be paged.

{% for action in actions %}{{ action.label }}: {{ action.url }}
{% endfor %}
Each link works once and expires after a day. Acknowledging needs no login;
you can also reply to this email with the single word "ack"."""
PAGE_VARIABLES = {
    "person_name": "The paged person's full name, else their username",
    "incident_ref": "INC-<number>",
    "incident_id": "The incident's number",
    "severity": "The severity as shown (SEV1 - Critical, ...)",
    "title": "The incident's title",
    "summary": "The incident's summary (may be empty)",
    "state": "The incident's state (triggered, ...)",
    "url": "The incident's page",
    "actions": "The one-click links, each with .label and .url (Acknowledge, Escalate, Resolve, Open)",
    "acknowledge_url": "The one-click acknowledge link alone",
    "step": "The escalation step (1, 2, ...)",
    "attempt": "The attempt (1, then 2, ... when the policy repeats)",
}
_SAMPLE_ACTIONS = [{"label": label, "url": f"https://opsdesk.example/paging/a/sample-{label.lower()}/"}
                   for label in ("Acknowledge", "Escalate", "Resolve", "Open")]
PAGE_SAMPLE = {
    "person_name": "Ada Lovelace", "incident_ref": "INC-42", "incident_id": 42, "severity": "SEV1 - Critical",
    "title": "EPR down", "summary": "Clinicians cannot open patient records.", "state": "triggered",
    "url": "https://opsdesk.example/incidents/42/", "actions": _SAMPLE_ACTIONS,
    "acknowledge_url": _SAMPLE_ACTIONS[0]["url"], "step": 1, "attempt": 1,
}

UNKNOWN_SUBJECT = '{{ reply_subject|default:"We received your email" }}'
UNKNOWN_BODY = """Hello,

Thank you for your email. We could not match your address to an account, so a person at our
service desk will look at your message and get back to you.

If you are a client of ours, please write from the address we know you by, or use the portal:
{{ portal }}

This is an automatic answer; you will not receive another one for 24 hours.
"""
UNKNOWN_VARIABLES = {
    "reply_subject": "'Re: ' and the sender's subject (empty when their message had none)",
    "original_subject": "The sender's subject as written",
    "sender": "The sender's address",
    "portal": "The client portal's address",
}
UNKNOWN_SAMPLE = {"reply_subject": "Re: Printer on floor 3", "original_subject": "Printer on floor 3",
                  "sender": "someone@example.org", "portal": "https://opsdesk.example/work/portal/"}

NOTIFICATION_SUBJECT = "[opsdesk] {{ title }}"
NOTIFICATION_BODY = """{{ body }}{% if link %}

{{ link }}{% endif %}"""
NOTIFICATION_VARIABLES = {
    "title": "The notification's title",
    "body": "The notification's text (may be empty)",
    "link": "The address of what it is about (empty when it links nowhere)",
    "user_name": "The recipient's full name, else their username",
    "client_name": "The recipient's client (client users; empty for staff)",
}
NOTIFICATION_SAMPLE = {"title": "Visit DC2 tomorrow", "body": "Bring the access card.",
                       "link": "https://opsdesk.example/work/17/", "user_name": "Grace Hopper", "client_name": ""}

DEFAULTS: dict[str, dict[str, Default]] = {
    "paging.page": {
        "responders": Default("The email paging a responder for an incident", PAGE_SUBJECT, PAGE_BODY,
                              PAGE_VARIABLES, PAGE_SAMPLE),
    },
    "inbound.unknown_sender": {
        "public": Default("The automatic answer to an email from an address opsdesk does not know",
                          UNKNOWN_SUBJECT, UNKNOWN_BODY, UNKNOWN_VARIABLES, UNKNOWN_SAMPLE),
    },
    "notification": {
        "staff": Default("The email of an in-app notification to a staff user", NOTIFICATION_SUBJECT,
                         NOTIFICATION_BODY, NOTIFICATION_VARIABLES, NOTIFICATION_SAMPLE),
        "client": Default("The email of an in-app notification to a client's user", NOTIFICATION_SUBJECT,
                          NOTIFICATION_BODY, NOTIFICATION_VARIABLES,
                          {**NOTIFICATION_SAMPLE, "user_name": "Client reader", "client_name": "Northgate Health"},
                          per_client=True),
    },
}


def pairs() -> list[tuple[str, str]]:
    """Every (key, audience) opsdesk sends, in a stable order."""
    return [(key, audience) for key, by_audience in DEFAULTS.items() for audience in by_audience]


def get(key: str, audience: str) -> Default | None:
    """The shipped template of a key and audience, or None if opsdesk sends no such email."""
    return DEFAULTS.get(key, {}).get(audience)
