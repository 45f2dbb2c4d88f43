"""Pauses of SLA clocks: the readiness blockers a policy pauses for, and why a clock stands still.

Who must act on a readiness blocker (workorders.readiness: the blocker's owner) decides whose
delay it is. A policy's `pause_on["blockers"]` names the parties whose blockers hold the
resolution clock: "client" (the client must act: approve site access, provide information) and
"third_party" (the site's operator, named in the contract through the client's sites: an escort
from the colocation's security desk). The provider's own blockers (service desk, dispatch, the
engineer) never pause it. The stretches come from the stored blocker spells
(workorders.BlockerSpell), so a blocker that opens and closes several times pauses each time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any, NamedTuple

from opsdesk.workorders.models import BlockerSpell

CLIENT, THIRD_PARTY = "client", "third_party"
PARTIES = (CLIENT, THIRD_PARTY)
PARTY_OF_OWNER = {"client": CLIENT, "site": THIRD_PARTY}  # other owners are the provider
STATE_WORDS = {"on_hold": "on hold at your request", "blocked": "blocked"}


class Spell(NamedTuple):
    """One stretch a blocker of a pausing party was open (epoch seconds; end None: still open)."""

    start: float
    end: float | None
    party: str
    waiting_for: str
    detail: str


def parties_of(policy: Any) -> frozenset[str]:
    """The parties whose blockers pause this policy's resolution clock (none for incidents)."""
    pause_on = getattr(policy, "pause_on", None)
    blockers = pause_on.get("blockers", []) if isinstance(pause_on, dict) else []
    return frozenset(b for b in blockers if b in PARTIES)


def _epoch(at: dt.datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def spells_for(work_order_ids: Iterable[int]) -> dict[int, list[Spell]]:
    """The blocker spells of parties that may pause (client, third party) per work order, in one query."""
    out: dict[int, list[Spell]] = defaultdict(list)
    rows = (
        BlockerSpell.objects.filter(
            work_order_id__in=list(work_order_ids), owner__in=list(PARTY_OF_OWNER)
        )
        .order_by("opened_at", "id")
        .values_list("work_order_id", "opened_at", "closed_at", "owner", "waiting_for", "detail")
    )
    for pk, opened, closed, owner, waiting, detail in rows:
        out[pk].append(
            Spell(opened.timestamp(), _epoch(closed), PARTY_OF_OWNER[owner], waiting, detail)
        )
    return out


def waits(spells: Iterable[Spell], parties: Collection[str]) -> list[tuple[float, float | None]]:
    """The stretches of the spells of the given parties."""
    return [(s.start, s.end) for s in spells if s.party in parties]


def duration_words(minutes: float) -> str:
    """Business minutes as a person says them: '2d 4h', '3h 20m', '45m' (a day: 24 h of clock time)."""
    total = round(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{mins}m" if mins and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0m"
