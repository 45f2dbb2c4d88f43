"""Blocker spells: the durable record of when each readiness blocker was open (read by SLA clocks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsdesk.core import clock

from .models import BlockerSpell, WorkOrder
from .readiness.rules import Blocker, waiting_for


def _had_open(previous: dict[str, Any]) -> bool:
    return any(
        isinstance(b, dict) and not b.get("overridden") for b in previous.get("blockers", []) or []
    )


def sync_spells(wo: WorkOrder, open_blockers: Sequence[Blocker], previous: dict[str, Any]) -> bool:
    """Open a spell for each newly open blocker and close those no longer open (at core.clock.now()).

    `previous`: the readiness JSON before this evaluation; when neither it nor now has an open
    blocker, nothing can be open and the database is not read. True when a spell opened or closed.
    """
    if not open_blockers and not _had_open(previous):
        return False
    now = clock.now()
    open_now = list(
        BlockerSpell.objects.filter(work_order=wo, closed_at=None).only("id", "key", "detail")
    )
    current = {s.key: s.pk for s in open_now}
    wanted = {b.key: b for b in open_blockers}
    gone = [pk for key, pk in current.items() if key not in wanted]
    for (
        spell
    ) in open_now:  # the same blocker further on (the access request submitted): its latest words
        still = wanted.get(spell.key)
        if still is not None and still.detail != spell.detail:
            BlockerSpell.objects.filter(pk=spell.pk).update(detail=still.detail)
    new = [
        BlockerSpell(
            work_order=wo,
            key=b.key,
            kind=b.kind,
            owner=b.owner,
            waiting_for=waiting_for(b)[:300],
            detail=b.detail,
            opened_at=now,
        )
        for key, b in wanted.items()
        if key not in current
    ]
    if gone:
        BlockerSpell.objects.filter(pk__in=gone).update(closed_at=now)
    if new:
        BlockerSpell.objects.bulk_create(new)
    return bool(gone or new)
