"""Service pages: a filterable list and a detail page with the dependency neighbourhood."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core.views import int_param, list_template, object_timeline, page_view, paginate
from opsdesk.sites import queries as site_queries
from opsdesk.tenancy import queries as client_queries

from . import queries
from .models import Service

# Drawing constants for the server-side SVG (pixels).
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 216, 46, 64, 14, 16
LOOP = 48  # room right of a column for edges between nodes of the same column
MAX_PER_COLUMN = 10


@require_GET
@page_view
def service_list(request: HttpRequest) -> HttpResponse:
    """Services the user may see, filtered by client, criticality, hosting site and name."""
    filters: dict[str, Any] = {
        "client": int_param(request, "client"),
        "criticality": int_param(request, "criticality"),
        "site": int_param(request, "site"),
        "q": request.GET.get("q", "").strip() or None,
    }
    page = paginate(request, queries.list_services(request.user, **filters))
    context = {
        "page": page,
        "filters": filters,
        "clients": client_queries.list_clients(request.user),
        "criticalities": Service.Criticality.choices,
        "sites": site_queries.list_sites(request.user).only("id", "code", "name", "region"),
    }
    template = list_template(
        request, "services/service_list.html", "services/partials/service_rows.html"
    )
    return render(request, template, context)


@require_GET
@page_view
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    """One service: criticality, hosting sites, what it depends on and what depends on it."""
    service = queries.get_service(request.user, service_id)
    up_ids, down_ids = queries.upstream_ids(service), queries.downstream_ids(service)
    visible = {s.pk: s for s in queries.services_by_ids(request.user, up_ids | down_ids)}
    edges = queries.all_edges()
    up_depth = _depths(service.pk, edges, reverse=False)
    down_depth = _depths(service.pk, edges, reverse=True)

    def rows(depths: dict[int, int]) -> list[tuple[int, Service]]:
        found = [(d, visible[i]) for i, d in depths.items() if i in visible]
        return sorted(found, key=lambda pair: (pair[0], pair[1].name))

    context = {
        "service": service,
        "upstream": rows(up_depth),
        "downstream": rows(down_depth),
        "graph": _layout(service, visible, edges, up_depth, down_depth),
        "timeline": object_timeline(request, service),
    }
    return render(request, "services/service_detail.html", context)


def _column_label(col: int) -> str:
    """Heading of a graph column: the service, or how many hops up or down."""
    if col == 0:
        return "This service"
    hops = f"{abs(col)} hop{'s' if abs(col) > 1 else ''}"
    return f"Depends on · {hops}" if col > 0 else f"Dependants · {hops}"


def _depths(start: int, edges: list[tuple[int, int]], *, reverse: bool) -> dict[int, int]:
    """Shortest hop count from `start` along dependency edges (or against them)."""
    adj: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        (adj[b] if reverse else adj[a]).append(a if reverse else b)
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in adj[node]:
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    depth.pop(start)
    return depth


@dataclass
class Graph:
    """A drawn neighbourhood: positioned nodes, edge paths, canvas size, hidden overflow."""

    width: int = 0
    height: int = 0
    nodes: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    overflow: int = 0
    node_w: int = NODE_W
    node_h: int = NODE_H
    columns: list[dict[str, Any]] = field(default_factory=list)


def _layout(
    service: Service,
    visible: dict[int, Service],
    edges: list[tuple[int, int]],
    up_depth: dict[int, int],
    down_depth: dict[int, int],
) -> Graph:
    """Columns left to right: dependants, the service, its dependencies; arrows mean 'depends on'."""
    columns: dict[int, list[Service]] = defaultdict(list)
    columns[0].append(service)
    for ids, sign in ((down_depth, -1), (up_depth, 1)):
        for pk, d in ids.items():
            if pk in visible:
                columns[sign * d].append(visible[pk])
    graph = Graph()
    order = sorted(columns)
    pitch_x, pitch_y = NODE_W + COL_GAP, NODE_H + ROW_GAP
    tallest = max(min(len(c), MAX_PER_COLUMN) for c in columns.values())
    graph.height = tallest * pitch_y - ROW_GAP + 2 * PAD + 22
    graph.width = len(order) * pitch_x - COL_GAP + 2 * PAD
    pos: dict[int, tuple[int, int]] = {}
    for ci, col in enumerate(order):
        members = sorted(columns[col], key=lambda s: (-s.criticality, s.name))
        shown, hidden = members[:MAX_PER_COLUMN], members[MAX_PER_COLUMN:]
        graph.overflow += len(hidden)
        x = PAD + ci * pitch_x
        top = PAD + 22 + (tallest - len(shown)) * pitch_y // 2
        label = _column_label(col)
        graph.columns.append({"x": x + NODE_W // 2, "label": label, "hidden": len(hidden)})
        for ri, svc in enumerate(shown):
            y = top + ri * pitch_y
            pos[svc.pk] = (x, y)
            graph.nodes.append({"service": svc, "x": x, "y": y, "center": svc.pk == service.pk})
    for a, b in edges:
        if a in pos and b in pos:
            (ax, ay), (bx, by) = pos[a], pos[b]
            y1, y2 = ay + NODE_H // 2, by + NODE_H // 2
            if bx > ax:
                x1, x2 = ax + NODE_W, bx - 6
                mid = (x1 + x2) // 2
                graph.paths.append(f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
            else:  # same column or backwards: loop out to the right
                x1, x2 = ax + NODE_W, bx + NODE_W + 6
                bulge = max(x1, x2) + LOOP - 8
                graph.paths.append(f"M{x1},{y1} C{bulge},{y1} {bulge},{y2} {x2},{y2}")
    graph.width += LOOP
    return graph
