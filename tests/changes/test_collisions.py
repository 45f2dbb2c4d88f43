"""Collisions: pure overlap and relation rules (property tests) and the database query."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.changes import collisions as co
from opsdesk.changes import queries
from opsdesk.core import schedule
from tests import factories as f

from .helpers import NIGHT, make_change, submit, user

# -- pure ----------------------------------------------------------------------------------------

ids = st.frozensets(st.integers(1, 6), max_size=3)


@st.composite
def slots(draw) -> list[co.Slot]:
    n = draw(st.integers(0, 12))
    out = []
    for i in range(n):
        start = draw(st.integers(0, 100))
        out.append(co.Slot(f"s{i}", start, start + draw(st.integers(1, 40)), draw(ids), draw(ids)))
    return out


@st.composite
def graphs(draw) -> co.Graph:
    # Edges (a depends on b) with a > b: a DAG, like the real graph.
    edges = draw(st.lists(st.tuples(st.integers(2, 6), st.integers(1, 5)).filter(lambda e: e[0] > e[1]), max_size=8))
    down: dict[int, set[int]] = {i: set() for i in range(1, 7)}
    changed = True
    for a, b in edges:
        down[b].add(a)
    while changed:  # transitive closure
        changed = False
        for b in down:
            extra = set().union(*(down[a] for a in down[b])) - down[b]
            if extra:
                down[b] |= extra
                changed = True
    return co.Graph(downstream={k: frozenset(v) for k, v in down.items()})


def brute_force(all_slots: list[co.Slot], graph: co.Graph) -> set[frozenset[str]]:
    return {
        frozenset({a.ref, b.ref}) for a, b in itertools.combinations(all_slots, 2)
        if a.start < b.end and b.start < a.end and co.reasons(a, b, graph)
    }


@settings(max_examples=200, deadline=None)
@given(slots(), graphs())
def test_every_colliding_pair_is_found(all_slots, graph):
    assert co.all_collisions(all_slots, graph) == brute_force(all_slots, graph)


@settings(max_examples=200, deadline=None)
@given(slots(), graphs())
def test_collision_is_symmetric(all_slots, graph):
    for a, b in itertools.combinations(all_slots, 2):
        assert co.collides(a, b, graph) == co.collides(b, a, graph)
        assert bool(co.reasons(a, b, graph)) == bool(co.reasons(b, a, graph))


@settings(max_examples=100, deadline=None)
@given(slots(), graphs())
def test_collisions_of_one_slot_agree_with_all_pairs(all_slots, graph):
    pairs = co.all_collisions(all_slots, graph)
    for s in all_slots:
        found = {o.ref for o, _ in co.collisions_of(s, all_slots, graph)}
        assert found == {r for p in pairs if s.ref in p for r in p if r != s.ref}


def test_touching_windows_do_not_collide():
    a, b = co.Slot("a", 0, 10, frozenset({1})), co.Slot("b", 10, 20, frozenset({1}))
    assert not co.collides(a, b, co.Graph())
    assert co.collides(a, co.Slot("c", 9, 20, frozenset({1})), co.Graph())


def test_reasons_name_site_service_and_direction():
    g = co.Graph(downstream={2: frozenset({1})}, service_names={1: "EPR", 2: "Storage array"},
                 site_names={7: "lon-dc1"})
    storage = co.Slot("a", 0, 10, frozenset({7}), frozenset({2}))
    epr = co.Slot("b", 5, 15, frozenset({7}), frozenset({1}))
    assert co.reasons(storage, epr, g) == ["same site lon-dc1", "EPR depends on Storage array (downstream)"]
    assert co.reasons(epr, storage, g) == ["same site lon-dc1", "EPR depends on Storage array (upstream)"]


# -- database ------------------------------------------------------------------------------------


@pytest.fixture
def estate(db):
    client = f.make_client(name="Northgate Health")
    lon, nyc = f.make_site(code="lon-dc1", clients=[client]), f.make_site(code="nyc-dc2", clients=[client],
                                                                         time_zone="America/New_York")
    storage = f.make_service(client, sites=[lon], name="Storage array")
    epr = f.make_service(client, sites=[lon], name="EPR")
    f.depend(epr, storage)
    mail = f.make_service(client, sites=[nyc], name="Mail")
    return {"user": user(), "lon": lon, "nyc": nyc, "storage": storage, "epr": epr, "mail": mail}


def reasons_of(change) -> dict[int | None, list[str]]:
    return {c.change_id: list(c.reasons) for c in queries.collisions_for(change)}


def test_same_site_and_dependency_chain(estate):
    u = estate["user"]
    a = submit(make_change(u, services_=[estate["storage"]], sites=[estate["lon"]]), u)
    b = submit(make_change(u, services_=[estate["epr"]], sites=[estate["lon"]], start=NIGHT + dt.timedelta(hours=1)), u)
    assert reasons_of(a) == {b.pk: ["same site lon-dc1", "EPR depends on Storage array (downstream)"]}
    assert reasons_of(b) == {a.pk: ["same site lon-dc1", "EPR depends on Storage array (upstream)"]}


def test_same_service_at_different_sites(estate):
    u = estate["user"]
    a = submit(make_change(u, services_=[estate["mail"]], sites=[estate["nyc"]]), u)
    b = submit(make_change(u, services_=[estate["mail"]], sites=[estate["lon"]]), u)
    assert reasons_of(b) == {a.pk: ["same service Mail"]}


def test_unrelated_or_touching_or_draft_changes_do_not_collide(estate):
    u = estate["user"]
    a = submit(make_change(u, services_=[estate["mail"]], sites=[estate["nyc"]]), u)
    unrelated = make_change(u, services_=[estate["epr"]], sites=[estate["lon"]])
    assert reasons_of(unrelated) == {}
    after = make_change(u, services_=[estate["mail"]], sites=[estate["nyc"]], start=a.window_end)
    assert reasons_of(after) == {}
    make_change(u, services_=[estate["epr"]], sites=[estate["lon"]], title="just a draft")
    assert reasons_of(submit(unrelated, u)) == {}  # the draft occupies no time
    assert queries.collisions_for(a) == []


def test_visits_at_the_same_site_collide(estate):
    u = estate["user"]
    change = make_change(u, services_=[estate["epr"]], sites=[estate["lon"]])
    schedule.put("workorders.visit:1", kind="visit", label="WO-1 Replace disk", start_at=NIGHT,
                 end_at=NIGHT + dt.timedelta(hours=1), site_ids=[estate["lon"].pk], service_ids=[])
    (c,) = queries.collisions_for(change)
    assert (c.kind, c.change_id, c.reasons) == ("visit", None, ("same site lon-dc1",))


def test_collisions_count_in_risk(estate):
    u = estate["user"]
    submit(make_change(u, services_=[estate["mail"]], sites=[estate["nyc"]]), u)
    b = make_change(u, services_=[estate["mail"]], sites=[estate["nyc"]])
    comp = {c["name"]: c for c in b.risk["components"]}
    assert comp["collisions"]["points"] == 5
    assert "same service Mail" in comp["collisions"]["detail"]
