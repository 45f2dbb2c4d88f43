"""Pure graph decisions: cycles, upstream and downstream sets."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

Edge = tuple[int, int]  # (service, depends_on)


def _adjacency(edges: Iterable[Edge], reverse: bool = False) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        if reverse:
            adj[b].add(a)
        else:
            adj[a].add(b)
    return adj


def reachable(start: int, edges: Iterable[Edge], *, reverse: bool = False) -> set[int]:
    """Every node reachable from `start` (excluding itself unless on a cycle)."""
    adj = _adjacency(edges, reverse)
    seen: set[int] = set()
    queue = deque(adj.get(start, ()))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(adj.get(node, set()) - seen)
    return seen


def upstream(service: int, edges: Iterable[Edge]) -> set[int]:
    """What `service` depends on, directly or transitively."""
    return reachable(service, edges)


def downstream(service: int, edges: Iterable[Edge]) -> set[int]:
    """What depends on `service`, directly or transitively."""
    return reachable(service, edges, reverse=True)


def cycle_path(edges: Iterable[Edge], new_edge: Edge) -> list[int] | None:
    """If adding `new_edge` (a depends on b) closes a cycle, the path b → … → a; else None."""
    a, b = new_edge
    if a == b:
        return [a, a]
    adj = _adjacency(edges)
    parent: dict[int, int | None] = {b: None}
    queue = deque([b])
    while queue:
        node = queue.popleft()
        if node == a:
            path = [a]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            return [*reversed(path), b]
        for nxt in adj.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None
