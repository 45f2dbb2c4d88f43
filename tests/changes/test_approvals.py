"""Approval rules by risk, capacity checks, and what is still missing in words."""

from __future__ import annotations

import pytest

from opsdesk.changes import approvals as ap
from opsdesk.changes.approvals import Approver, Decision

OWNER = 1
PEER = Approver(2, False, None, False, False)
CA = Approver(3, False, None, True, False)
CA2 = Approver(4, False, None, True, False)
NORTHGATE = Approver(5, True, 50, False, True)
OTHER_CLIENT = Approver(6, True, 60, False, True)
CLIENTS = {50: "Northgate Health"}


def ok(approver_id: int, capacity: str, client_id: int | None = None) -> Decision:
    return Decision(approver_id, capacity, "approved", client_id)


@pytest.mark.parametrize(
    ("level", "decisions", "missing"),
    [
        ("low", [], ["a peer"]),
        ("low", [ok(2, "peer")], []),
        ("low", [ok(3, "change_approver")], []),
        ("medium", [ok(2, "peer")], ["a change approver"]),
        ("medium", [ok(3, "change_approver")], []),
        ("high", [], ["a change approver", "a second approver (peer or change approver)",
                      "a client approver for Northgate Health"]),
        ("high", [ok(3, "change_approver")], ["a second approver (peer or change approver)",
                                              "a client approver for Northgate Health"]),
        ("high", [ok(2, "peer")], ["a change approver", "a client approver for Northgate Health"]),
        ("high", [ok(3, "change_approver"), ok(3, "peer"), ok(5, "client", 50)],
         ["a second approver (peer or change approver)"]),
        ("high", [ok(3, "change_approver"), ok(2, "peer"), ok(6, "client", 60)],
         ["a client approver for Northgate Health"]),
        ("high", [ok(3, "change_approver"), ok(4, "change_approver"), ok(5, "client", 50)], []),
        ("high", [ok(2, "peer"), ok(3, "change_approver"), ok(5, "client", 50)], []),
    ],
)
def test_missing_by_risk_level(level, decisions, missing):
    status = ap.status(level, "normal", CLIENTS, decisions, [])
    assert list(status.missing) == missing
    assert status.complete is (not missing)


def test_required_lists_everything_in_words():
    assert ap.required("high", "emergency", CLIENTS, has_violations=True) == [
        "a change approver", "a second approver (peer or change approver)",
        "a client approver for Northgate Health", "an emergency approval (change approver or admin)",
    ]
    assert ap.required("low", "emergency", {}, has_violations=False) == ["a peer"]


def test_violations_block_normal_changes_and_need_an_emergency_approval_for_emergencies():
    v = ["lon-dc1: inside freeze 'Year end'"]
    normal = ap.status("low", "normal", {}, [ok(2, "peer")], v)
    assert normal.blocked_by == tuple(v) and not normal.complete
    emergency = ap.status("low", "emergency", {}, [ok(2, "peer")], v)
    assert emergency.blocked_by == ()
    assert emergency.missing == ("an emergency approval (change approver or admin)",)
    done = ap.status("low", "emergency", {}, [ok(2, "peer"), ok(3, "emergency")], v)
    assert done.complete


def test_any_rejection_rejects():
    s = ap.status("low", "normal", {}, [ok(2, "peer"), Decision(3, "change_approver", "rejected")], [])
    assert s.rejected and not s.complete


def check(capacity: str, who: Approver, *, change_type: str = "normal", violations: bool = False) -> str | None:
    return ap.capacity_problem(capacity, who, owner_id=OWNER, change_type=change_type,
                               change_client_ids=frozenset({50}), has_violations=violations)


@pytest.mark.parametrize(
    ("capacity", "who", "kw", "allowed"),
    [
        ("peer", PEER, {}, True),
        ("peer", CA, {}, True),
        ("peer", NORTHGATE, {}, False),
        ("change_approver", PEER, {}, False),
        ("change_approver", CA, {}, True),
        ("client", NORTHGATE, {}, True),
        ("client", OTHER_CLIENT, {}, False),
        ("client", CA, {}, False),
        ("emergency", CA, {"change_type": "emergency", "violations": True}, True),
        ("emergency", CA, {"change_type": "emergency", "violations": False}, False),
        ("emergency", CA, {"change_type": "normal", "violations": True}, False),
        ("emergency", PEER, {"change_type": "emergency", "violations": True}, False),
        ("boss", CA, {}, False),
    ],
)
def test_capacity_must_match_the_approver(capacity, who, kw, allowed):
    assert (check(capacity, who, **kw) is None) is allowed


def test_own_change_is_refused_in_every_capacity():
    owner = Approver(OWNER, False, None, True, False)
    for capacity in ap.CAPACITIES:
        assert "own" in check(capacity, owner, change_type="emergency", violations=True)
