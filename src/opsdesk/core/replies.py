"""Reply addresses: `reply+<token>@<domain>`, naming an object (a work order or an incident) and
the person it was sent to, signed so it cannot be guessed or altered. Senders (paging's emails)
give it as Reply-To; `opsdesk mail` (inbound) reads it back.

The token is lower case (`w123-45-<hmac>`), since some mail servers fold the case of local parts;
the signature is an HMAC of the secret key (django.utils.crypto.salted_hmac, what
django.core.signing uses), 24 hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "opsdesk.inbound.reply-address"
KINDS = {"workorder": "w", "incident": "i"}
_TOKEN = re.compile(r"^(?P<kind>[wi])(?P<id>\d{1,12})-(?P<user>\d{1,12})-(?P<sig>[0-9a-f]{24})$")


@dataclass(frozen=True)
class Target:
    """What a reply answers: a work order or an incident, by id."""

    kind: str  # "workorder" | "incident"
    id: int


@dataclass(frozen=True)
class ReplyToken:
    """What a valid reply token names."""

    target: Target
    user_id: int


def _sign(value: str) -> str:
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:24]


def _kind_of(obj: Any) -> str:
    label = obj._meta.model_name
    if label == "workorder":
        return "workorder"
    if label == "incident":
        return "incident"
    raise ValueError(f"no reply address for a {label}")


def reply_token(obj: Any, person: Any) -> str:
    """The signed token naming `obj` (a WorkOrder or an Incident) and `person` (a User)."""
    value = f"{KINDS[_kind_of(obj)]}{obj.pk}-{person.pk}"
    return f"{value}-{_sign(value)}"


def reply_address(obj: Any, person: Any) -> str:
    """The address a message about `obj` sent to `person` gives as Reply-To: replies come back to
    `opsdesk mail` and land on that object as that person (if they may still see it)."""
    domain = settings.OPSDESK_MAIL_DOMAINS[0] if settings.OPSDESK_MAIL_DOMAINS else "localhost"
    return f"reply+{reply_token(obj, person)}@{domain}"


def parse_token(token: str) -> ReplyToken | None:
    """The object and person of a valid token (None: malformed or not signed by us)."""
    match = _TOKEN.match(token.strip().lower())
    if match is None:
        return None
    value = f"{match['kind']}{match['id']}-{match['user']}"
    if not constant_time_compare(_sign(value), match["sig"]):
        return None
    kind = "workorder" if match["kind"] == "w" else "incident"
    return ReplyToken(Target(kind, int(match["id"])), int(match["user"]))


def token_of_recipients(recipients: list[str]) -> ReplyToken | None:
    """The first valid reply token among envelope/header recipients (`reply+<token>@domain`)."""
    for address in recipients:
        local = address.rsplit("@", 1)[0].lower()
        if local.startswith("reply+"):
            found = parse_token(local[len("reply+"):])
            if found is not None:
                return found
    return None
