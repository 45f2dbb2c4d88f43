"""Choosing an SLA policy by specificity, pure and from the database; validation in the service."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opsdesk.core.errors import InvalidInput
from opsdesk.slas import services
from opsdesk.slas.clocks import policy_for
from opsdesk.slas.targets import choose_policy, history_of
from tests import factories as f
from tests.workorders.builders import make, world

A, B = 1, 2


def _p(pid, client=None, level="p2", category="", active=True, resolution=480):
    return SimpleNamespace(id=pid, client_id=client, level=level, category=category, active=active,
                           resolution_minutes=resolution)


ALL = [
    _p(1),  # default + level
    _p(2, category="cabling"),  # default + level + category
    _p(3, client=A),  # client + level
    _p(4, client=A, category="cabling"),  # client + level + category
    _p(5, client=B, category="cabling"),  # another client's
    _p(6, client=A, level="p1", category="cabling"),  # another level
    _p(7, client=A, category="cabling", active=False),  # inactive
]


@pytest.mark.parametrize(("client", "category", "level", "expected"), [
    (A, "cabling", "p2", 4),
    (A, "hands", "p2", 3),
    (B, "cabling", "p2", 5),
    (B, "hands", "p2", 1),
    (99, "cabling", "p2", 2),
    (99, "hands", "p2", 1),
    (A, "cabling", "p1", 6),
    (A, "cabling", "p3", None),
])
def test_the_most_specific_policy_wins(client, category, level, expected):
    chosen = choose_policy(ALL, client_ids=[client], level=level, category=category)
    assert (chosen.id if chosen else None) == expected


def test_the_client_outranks_the_category():
    """client+level beats default+level+category (the contract with the client comes first)."""
    chosen = choose_policy([_p(2, category="cabling"), _p(3, client=A)], client_ids=[A], level="p2", category="cabling")
    assert chosen.id == 3


def test_ties_go_to_the_strictest_then_the_oldest():
    policies = [_p(1, resolution=600), _p(2, resolution=300), _p(3, resolution=300)]
    assert choose_policy(policies, client_ids=[A], level="p2").id == 2


def test_history_starts_at_leaving_the_draft():
    assert history_of(0.0, [(10.0, "draft", "submitted"), (20.0, "submitted", "triage")], "triage") == [
        (10.0, "submitted"), (20.0, "triage")]
    assert history_of(0.0, [], "draft") == []
    assert history_of(5.0, [], "submitted") == [(5.0, "submitted")]


def _data(**kw):
    base = {"name": "P2 default", "applies_to": "work_order", "level": "p2", "response_minutes": 60,
            "resolution_minutes": 480}
    base.update(kw)
    return base


@pytest.mark.django_db
def test_policy_for_a_work_order_reads_the_database():
    w = world()
    other = f.make_client(name="Other")
    admin = f.make_user("admin")
    default = services.create_policy(_data(), actor=admin)
    assert default.pause_states == ["on_hold"]
    wo = make(w, priority="p2")
    assert policy_for(wo) == default
    services.create_policy(_data(name="other's", client=other.pk, category="cabling"), actor=admin)
    assert policy_for(wo) == default
    own = services.create_policy(_data(name="Alpha P2", client=w["client"].pk), actor=admin)
    assert policy_for(wo) == own
    own_cabling = services.create_policy(_data(name="Alpha P2 cabling", client=w["client"].pk, category="cabling"),
                                         actor=admin)
    assert policy_for(wo) == own_cabling
    services.update_policy(own_cabling, {"active": False}, actor=admin)
    assert policy_for(wo) == own
    assert policy_for(make(w, priority="p4")) is None


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"level": "sev1"}, "level"),
    ({"applies_to": "incident"}, "level"),
    ({"response_minutes": 0}, "response_minutes"),
    ({"resolution_minutes": -5}, "resolution_minutes"),
    ({"pause_states": ["sleeping"]}, "pause_states"),
    ({"pause_states": ["completed"]}, "pause_states"),
    ({"category": "nonsense"}, "category"),
    ({"client": 10**9}, "client"),
    ({"name": " "}, "name"),
])
def test_invalid_policies_are_refused(changes, field):
    with pytest.raises(InvalidInput) as err:
        services.create_policy(_data(**changes), actor=None)
    assert err.value.errors[0]["field"] == field


@pytest.mark.django_db
def test_incident_policies_have_no_onsite_target_nor_category():
    base = {"name": "SEV1", "applies_to": "incident", "level": "sev1", "response_minutes": 15, "resolution_minutes": 240}
    with pytest.raises(InvalidInput, match="on-site"):
        services.create_policy({**base, "onsite_minutes": 60}, actor=None)
    with pytest.raises(InvalidInput, match="category"):
        services.create_policy({**base, "category": "cabling"}, actor=None)
    policy = services.create_policy(base, actor=None)
    assert policy.pause_states == []
