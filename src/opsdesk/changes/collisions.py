"""Pure collision rules: two planned things collide when their windows overlap and they touch the
same site, the same service, or services along one dependency chain (upstream or downstream).

Windows are half-open [start, end): a change ending at 02:00 and one starting at 02:00 do not
collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Slot:
    """A planned change or visit: when, where, on what."""

    ref: str
    start: Any  # datetimes in use; any ordered values in property tests
    end: Any
    site_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Graph:
    """What relating two slots needs: each service's transitive dependants, and names to explain."""

    downstream: Mapping[int, frozenset[int]] = field(default_factory=dict)
    service_names: Mapping[int, str] = field(default_factory=dict)
    site_names: Mapping[int, str] = field(default_factory=dict)

    def depends_on(self, a: int, b: int) -> bool:
        """Whether service `a` depends (transitively) on service `b`."""
        return a in self.downstream.get(b, frozenset())

    def service(self, i: int) -> str:
        return self.service_names.get(i, f"service {i}")

    def site(self, i: int) -> str:
        return self.site_names.get(i, f"site {i}")


def overlaps(a_start: Any, a_end: Any, b_start: Any, b_end: Any) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) share time (touching ends do not)."""
    return bool(a_start < b_end and b_start < a_end)


def reasons(subject: Slot, other: Slot, graph: Graph) -> list[str]:
    """Why `other` is related to `subject` (empty when unrelated), from the subject's point of view."""
    found = [f"same site {graph.site(s)}" for s in sorted(subject.site_ids & other.site_ids)]
    found += [f"same service {graph.service(s)}" for s in sorted(subject.service_ids & other.service_ids)]
    for mine in sorted(subject.service_ids):
        for theirs in sorted(other.service_ids - {mine}):
            if graph.depends_on(theirs, mine):
                found.append(f"{graph.service(theirs)} depends on {graph.service(mine)} (downstream)")
            elif graph.depends_on(mine, theirs):
                found.append(f"{graph.service(mine)} depends on {graph.service(theirs)} (upstream)")
    return found


def collides(a: Slot, b: Slot, graph: Graph) -> bool:
    """Whether two slots collide: overlapping windows and related targets."""
    return a.ref != b.ref and overlaps(a.start, a.end, b.start, b.end) and bool(reasons(a, b, graph))


def collisions_of(subject: Slot, others: Iterable[Slot], graph: Graph) -> list[tuple[Slot, list[str]]]:
    """The slots that collide with `subject`, each with its reasons, in start order."""
    out = []
    for other in sorted(others, key=lambda s: (s.start, s.ref)):
        if other.ref != subject.ref and overlaps(subject.start, subject.end, other.start, other.end):
            why = reasons(subject, other, graph)
            if why:
                out.append((other, why))
    return out


def all_collisions(slots: Iterable[Slot], graph: Graph) -> set[frozenset[str]]:
    """Every colliding pair among `slots` (as {ref, ref}), by a sweep over start times.

    Sorted by start, each slot is compared only with the slots still open when it starts, which
    are exactly the earlier-starting slots it overlaps.
    """
    pairs: set[frozenset[str]] = set()
    active: list[Slot] = []
    for slot in sorted(slots, key=lambda s: (s.start, s.ref)):
        active = [a for a in active if a.end > slot.start]
        for other in active:
            if other.ref != slot.ref and reasons(slot, other, graph):
                pairs.add(frozenset({slot.ref, other.ref}))
        active.append(slot)
    return pairs
