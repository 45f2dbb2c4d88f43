"""One transition evaluates readiness once: a gated move's gate evaluation is what derive() stores."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.core import clock
from opsdesk.core.errors import Conflict
from opsdesk.workorders import services
from opsdesk.workorders.models import WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries
from tests.workorders.builders import NOW, arrange, make, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the work orders whose readiness is evaluated, in order."""
    calls: list[int] = []
    real = readiness_queries.evaluate_work_order

    def counting(wo: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(wo.pk)
        return real(wo, *args, **kwargs)

    monkeypatch.setattr(readiness_queries, "evaluate_work_order", counting)
    return calls


def test_a_gated_move_evaluates_once_and_stores_what_a_fresh_evaluation_gives(w, evaluations):
    wo = make(w, "readiness")
    arrange(w, wo)
    evaluations.clear()
    with clock.frozen(NOW):
        wo = services.transition_work_order(wo, "ready", actor=w["desk"], reason="arranged")
        assert evaluations == [wo.pk]
        stored = WorkOrder.objects.get(pk=wo.pk)
        fresh = readiness_queries.evaluate_work_order(stored)
    assert stored.state == "ready"
    assert (stored.blocked, stored.at_risk) == (not fresh.ready, fresh.at_risk)
    assert stored.next_needed_by == fresh.next_needed_by
    stored_json = {k: v for k, v in stored.readiness.items() if k != "notified"}
    assert stored_json == readiness_queries.as_json(fresh)


def test_a_move_that_is_not_gated_evaluates_once_in_derive(w, evaluations):
    wo = make(w, "triage")
    evaluations.clear()
    with clock.frozen(NOW):
        wo = services.transition_work_order(wo, "readiness", actor=w["desk"], reason="next")
    assert evaluations == [wo.pk]
    assert WorkOrder.objects.get(pk=wo.pk).blocked  # the access request is not arranged yet


def test_a_refused_gate_evaluates_once_and_stores_nothing(w, evaluations):
    wo = make(w, "readiness")
    before = WorkOrder.objects.get(pk=wo.pk).readiness
    evaluations.clear()
    with clock.frozen(NOW), pytest.raises(Conflict):
        services.transition_work_order(wo, "ready", actor=w["desk"], reason="try")
    assert evaluations == [wo.pk]
    assert WorkOrder.objects.get(pk=wo.pk).readiness == before
