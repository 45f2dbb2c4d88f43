"""Pure graph rules: upstream/downstream sets and cycle refusal (table and property tests)."""

from __future__ import annotations

import graphlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from opsdesk.services import rules

CHAIN = [(2, 1), (3, 2), (4, 3), (5, 3)]  # 2 depends on 1, ...


def test_upstream_and_downstream():
    assert rules.upstream(4, CHAIN) == {3, 2, 1}
    assert rules.downstream(2, CHAIN) == {3, 4, 5}
    assert rules.upstream(1, CHAIN) == set()
    assert rules.downstream(99, CHAIN) == set()


def test_cycle_path_names_the_loop():
    assert rules.cycle_path(CHAIN, (1, 4)) == [4, 3, 2, 1, 4]
    assert rules.cycle_path(CHAIN, (1, 1)) == [1, 1]
    assert rules.cycle_path(CHAIN, (5, 4)) is None


edge_lists = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=60)


@given(edge_lists)
def test_accepting_only_non_cycle_edges_keeps_the_graph_acyclic(candidates):
    accepted: list[tuple[int, int]] = []
    for edge in candidates:
        if rules.cycle_path(accepted, edge) is None:
            accepted.append(edge)
    ts = graphlib.TopologicalSorter()
    for a, b in accepted:
        ts.add(a, b)
    ts.prepare()  # raises CycleError if a cycle slipped through


@given(edge_lists)
def test_refused_edges_really_close_a_cycle(candidates):
    accepted: list[tuple[int, int]] = []
    for a, b in candidates:
        path = rules.cycle_path(accepted, (a, b))
        if path is None:
            accepted.append((a, b))
            continue
        assert path[0] == b and path[-1] == b and path[-2] == a
        # every consecutive pair of the path except the closing one is an accepted edge
        for x, y in itertools.pairwise(path[:-1]):
            assert (x, y) in accepted


@given(edge_lists, st.integers(0, 12))
def test_upstream_and_downstream_are_mirror_images(edges, node):
    for other in rules.upstream(node, edges):
        assert node in rules.downstream(other, edges)
