"""One-click actions in notifications: signed links that expire and work once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction

from opsdesk.core import clock
from opsdesk.core.errors import Conflict, InvalidInput
from opsdesk.incidents.models import Incident

from . import rules
from .models import ActionToken, Page

SALT = "opsdesk.paging.action"
# Actions that change something: their GET page asks for a POST and the token works once.
CHANGING = frozenset({"acknowledge", "escalate"})


class LinkRefused(InvalidInput):
    """A forged, expired or unknown one-click link."""

    title = "Link not valid"


class LinkUsed(Conflict):
    """A one-click link that was already used."""

    title = "Link already used"


def max_age() -> int:
    """Seconds a link stays valid (settings.OPSDESK_PAGING_LINK_MAX_AGE, default 24 h)."""
    return settings.OPSDESK_PAGING_LINK_MAX_AGE


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def action_url(incident: Incident, action: str, person: Any, *, page: Page | None = None) -> str:
    """An absolute signed URL doing `action` (acknowledge, escalate, resolve, open) as `person`."""
    if action not in rules.ACTIONS:
        raise ValueError(f"unknown action {action}")
    token = signing.dumps({"i": incident.pk, "a": action, "p": person.pk, "n": secrets.token_hex(8)}, salt=SALT)
    ActionToken.objects.create(token_hash=_hash(token), incident=incident, person=person, action=action,
                               page=page, created_at=clock.now())
    return f"{settings.BASE_URL}/paging/a/{token}/"


def action_urls(incident: Incident, person: Any, actions: tuple[str, ...], *, page: Page | None = None) -> dict[str, str]:
    """Several action URLs at once (one INSERT): {action: url}."""
    return actions_for_many([(incident, person, page)], actions)[0]


def actions_for_many(items: list[tuple[Incident, Any, Page | None]], actions: tuple[str, ...]) -> list[dict[str, str]]:
    """The action URLs of many notifications, their tokens stored in one INSERT: [{action: url}]."""
    now = clock.now()
    out: list[dict[str, str]] = []
    rows = []
    for incident, person, page in items:
        urls = {}
        for action in actions:
            if action not in rules.ACTIONS:
                raise ValueError(f"unknown action {action}")
            token = signing.dumps({"i": incident.pk, "a": action, "p": person.pk, "n": secrets.token_hex(8)}, salt=SALT)
            rows.append(ActionToken(token_hash=_hash(token), incident=incident, person=person, action=action, page=page,
                                    created_at=now))
            urls[action] = f"{settings.BASE_URL}/paging/a/{token}/"
        out.append(urls)
    ActionToken.objects.bulk_create(rows, batch_size=500)
    return out


@dataclass(frozen=True)
class Link:
    """A checked link: its stored row (incident, person, action) and whether it was used."""

    token: ActionToken

    @property
    def action(self) -> str:
        return self.token.action


def read_link(token: str, *, lock: bool = False) -> Link:
    """The link a token names, or LinkRefused (forged, expired, unknown) / LinkUsed (used)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkRefused("This link has expired. Open the incident in opsdesk instead.") from None
    except signing.BadSignature:
        raise LinkRefused("This link is not valid (it may have been cut or changed).") from None
    rows = ActionToken.objects.select_related("incident", "person")
    if lock:
        rows = rows.select_for_update()
    row = rows.filter(token_hash=_hash(token)).first()
    if row is None or row.incident_id != data.get("i") or row.action != data.get("a"):
        raise LinkRefused("This link is not valid.")
    if row.used_at is not None and row.action in CHANGING:
        raise LinkUsed(f"This link was already used at {row.used_at:%Y-%m-%d %H:%M} UTC.")
    return Link(row)


@transaction.atomic
def use_link(token: str) -> Link:
    """Do what a changing link says (once), as the person it was made for."""
    from . import services

    link = read_link(token, lock=True)
    row = link.token
    if row.action in CHANGING:
        row.used_at = clock.now()
        row.save(update_fields=["used_at"])
    if row.action == "acknowledge":
        services.acknowledge(row.incident, actor=row.person, reason="from a one-click link")
    elif row.action == "escalate":
        services.escalate_now(row.incident, actor=row.person)
    return link
