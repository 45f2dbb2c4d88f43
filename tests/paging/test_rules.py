"""Paging rules, table-driven: severity modes, policy choice, quiet hours, step order, keys."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core.fsm import InvalidTransition
from opsdesk.paging import rules
from opsdesk.paging.models import default_severity_rules
from opsdesk.paging.rules import PolicyRef

UTC = dt.UTC


@pytest.mark.parametrize(("severity", "mode", "urgency"), [
    ("sev1", "page", "high"), ("sev2", "page", "high"), ("sev3", "business_hours", "low"),
    ("sev4", "ticket", "low"), ("sev9", "page", "high"),
])
def test_default_severity_rules(severity: str, mode: str, urgency: str) -> None:
    assert rules.mode_for(default_severity_rules(), severity) == mode
    assert rules.urgency_for(mode) == urgency


def test_unknown_mode_pages() -> None:
    assert rules.mode_for({"sev1": "shout"}, "sev1") == "page"


def ref(pk: int, *, integrations: tuple[int, ...] = (), services: tuple[int, ...] = (), client: int | None = None,
        default: bool = False) -> PolicyRef:
    return PolicyRef(pk, frozenset(integrations), frozenset(services), client, default)


POLICIES = [ref(1, default=True), ref(2, client=7), ref(3, services=(10,)), ref(4, services=(11,)),
            ref(5, integrations=(99,))]


@pytest.mark.parametrize(("integration", "services", "clients", "chosen"), [
    (99, [10], [7], 5),      # the integration's policy wins
    (None, [11, 10], [7], 4),  # then the most specific service (first given)
    (None, [12], [7], 2),    # then the client's
    (None, [], [8], 1),      # then the default
    (98, [], [], 1),
])
def test_choose_policy(integration: int | None, services: list[int], clients: list[int], chosen: int) -> None:
    assert rules.choose_policy(POLICIES, integration_id=integration, service_ids=services, client_ids=clients) == chosen


def test_no_policy_at_all() -> None:
    assert rules.choose_policy([ref(2, client=7)], integration_id=None, service_ids=[], client_ids=[1]) is None


Q = (dt.time(22, 0), dt.time(7, 0))


@pytest.mark.parametrize(("at", "zone", "quiet", "expected"), [
    (dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC), "UTC", Q, dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),
    (dt.datetime(2026, 3, 3, 3, 0, tzinfo=UTC), "UTC", Q, dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),
    (dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC), "UTC", Q, dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)),
    # 21:30 UTC is 22:30 in Paris (quiet) until 07:00 Paris = 06:00 UTC
    (dt.datetime(2026, 3, 2, 21, 30, tzinfo=UTC), "Europe/Paris", Q, dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)),
    (dt.datetime(2026, 3, 2, 13, 0, tzinfo=UTC), "UTC", (dt.time(12), dt.time(14)),
     dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
    (dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC), "UTC", (None, None), dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC)),
])
def test_after_quiet_hours(at: dt.datetime, zone: str, quiet: tuple[dt.time | None, dt.time | None],
                           expected: dt.datetime) -> None:
    assert rules.after_quiet_hours(at, zone, *quiet) == expected


@pytest.mark.parametrize(("index", "cycle", "steps", "repeat", "expected"), [
    (0, 0, 3, 0, (0, 0)), (2, 0, 3, 0, (2, 0)), (3, 0, 3, 0, None), (3, 0, 3, 1, (0, 1)), (3, 1, 3, 1, None),
    (0, 0, 0, 2, None),
])
def test_step_to_run(index: int, cycle: int, steps: int, repeat: int, expected: tuple[int, int] | None) -> None:
    assert rules.step_to_run(index, cycle, steps, repeat) == expected


def test_page_key_names_incident_step_person_cycle_method() -> None:
    assert rules.page_key(42, 1, 7, 0, "r3") == "42:1:7:0:r3"


@pytest.mark.parametrize(("machine", "src", "dst", "ok"), [
    (rules.ESCALATION_MACHINE, "active", "acknowledged", True),
    (rules.ESCALATION_MACHINE, "ticket", "acknowledged", False),
    (rules.ESCALATION_MACHINE, "resolved", "active", False),
    (rules.PAGE_MACHINE, "pending", "sent", True),
    (rules.PAGE_MACHINE, "sent", "cancelled", False),
])
def test_machines(machine: rules.Machine, src: str, dst: str, ok: bool) -> None:
    if ok:
        assert machine.apply(src, dst) == dst
    else:
        with pytest.raises(InvalidTransition):
            machine.apply(src, dst)
