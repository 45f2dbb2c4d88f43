"""The state machine and the gate: the transition table's shape, and (hypothesis, stateful) that no
sequence of transitions, arrangements and overrides reaches ready, scheduled or dispatched while a
blocker is open without a recorded override. Real data: a site with an unapproved 72 h access request."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from opsdesk.core import clock
from opsdesk.core.errors import Conflict, DomainError
from opsdesk.core.fsm import InvalidTransition
from opsdesk.workorders import rules, services
from opsdesk.workorders.models import WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries
from tests.workorders.builders import NOW, data, world

pytestmark = pytest.mark.django_db


def test_every_state_is_reachable_from_draft_and_final_states_are_final():
    seen, todo = {"draft"}, ["draft"]
    while todo:
        for nxt in rules.MACHINE.allowed(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(rules.STATES)
    assert rules.MACHINE.allowed("closed") == rules.MACHINE.allowed("cancelled") == frozenset()
    assert set(rules.STATES) >= rules.GATED and set(rules.STATES) >= rules.VISIT_STATES


@pytest.mark.parametrize(("src", "dst"), [("draft", "ready"), ("submitted", "dispatched"), ("closed", "draft"), ("x", "y")])
def test_invalid_moves_are_refused_with_the_reason(src, dst):
    with pytest.raises(InvalidTransition) as exc:
        rules.MACHINE.apply(src, dst)
    assert "work order" in exc.value.detail and exc.value.status == 409


def test_gated_states_can_only_be_entered_through_the_gate():
    # Every way into scheduled or dispatched passes through a gated move (no side door around the gate).
    for state, targets in rules.MACHINE.transitions.items():
        for target in targets & {"scheduled", "dispatched"}:
            assert target in rules.GATED, (state, target)


class GateMachine(RuleBasedStateMachine):
    """Random transitions, arrangements and overrides on one work order at a site with a blocking rule."""

    w: dict = {}
    entered_gated = 0

    @initialize()
    def create(self) -> None:
        with clock.frozen(NOW):
            self.wo = services.create_work_order(data(self.w), actor=self.w["desk"])

    def _open_blockers(self) -> list[str]:
        with clock.frozen(NOW):
            result = readiness_queries.evaluate_work_order(WorkOrder.objects.get(pk=self.wo.pk))
        return [b.key for b in result.blockers if not b.overridden]

    @rule(to=st.sampled_from(rules.STATES), pick=st.integers(0, 99), reason=st.sampled_from(["", "because"]))
    def transition(self, to: str, pick: int, reason: str) -> None:
        before = WorkOrder.objects.get(pk=self.wo.pk).state
        # Mostly legal moves other than cancelling, so runs get deep; sometimes anything at all.
        onward = sorted(rules.MACHINE.allowed(before) - {"cancelled"})
        if onward and pick < 85:
            to = onward[pick % len(onward)]
        open_before = self._open_blockers()
        try:
            with clock.frozen(NOW):
                self.wo = services.transition_work_order(self.wo, to, actor=self.w["dispatcher"], reason=reason)
        except DomainError as exc:
            assert WorkOrder.objects.get(pk=self.wo.pk).state == before
            if to in rules.GATED and rules.MACHINE.can(before, to) and open_before and (reason or to not in services.REASON_REQUIRED):
                assert isinstance(exc, Conflict) and "readiness blocker" in exc.detail
            return
        assert rules.MACHINE.can(before, to)
        if to in rules.GATED:
            # The property: entering a gated state leaves no open blocker; each overridden one is recorded.
            assert open_before == [] and self._open_blockers() == []
            GateMachine.entered_gated += 1

    @rule(state=st.sampled_from(["requested", "submitted", "approved", "rejected"]))
    def arrange(self, state: str) -> None:
        with clock.frozen(NOW):
            services.record_arrangement(self.wo, self.w["access"].pk, state=state, actor=self.w["desk"])

    @rule()
    def override(self) -> None:
        open_ = self._open_blockers()
        if open_:
            with clock.frozen(NOW):
                services.override_blocker(self.wo, open_[0], reason="dispatcher decision", actor=self.w["dispatcher"])

    @rule()
    def arrange_everything(self) -> None:
        # What a desk does before the gate: the access approved, then every blocker left overridden.
        # Without it, random runs seldom get all the way to the gate.
        self.arrange("approved")
        while self._open_blockers():
            self.override()

    @invariant()
    def flags_match_the_gate(self) -> None:
        wo = WorkOrder.objects.get(pk=self.wo.pk)
        if wo.state in rules.OPEN_STATES:
            assert wo.blocked == bool(self._open_blockers())
        else:
            assert not wo.blocked and not wo.at_risk
        # A blocker that appears after the gate (an approval withdrawn) flags the work blocked in the
        # queue; it does not move the work by itself (dispatch decides), so no check on the state here.


def test_no_sequence_passes_the_gate_with_an_open_blocker():
    GateMachine.w = world()
    GateMachine.entered_gated = 0
    run_state_machine_as_test(
        GateMachine,
        # Derandomized: the same 40 runs every time, so the check below that some of them passed the
        # gate cannot fail by the luck of the draw (it did once in a few hundred runs).
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
    assert GateMachine.entered_gated > 0  # the runs did pass the gate (after arranging or overriding)
