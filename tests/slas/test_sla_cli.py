"""`opsdesk sla`: recompute, watch, attainment and one object's clocks from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opsdesk.core import clock
from opsdesk.slas.models import SlaClockState
from tests.slas.test_clocks import _move, _policy, _work_order, at
from tests.workorders.builders import world

pytestmark = pytest.mark.django_db


def sla(*args):
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue()


def test_recompute_watch_attainment_and_show():
    w = world()
    _policy()
    wo = _work_order(w)
    _move(wo, "readiness", at(21, 8), w["desk"])
    SlaClockState.objects.all().delete()
    with clock.frozen(at(21, 15, 1)):
        assert "Work orders: 1 (3 clocks, 3 changed, 0 removed)" in sla("recompute", "--processes", "1")
        assert "1 breach escalations sent" in sla("watch")
        shown = sla("show", "wo", str(wo.pk))
        report = sla("attainment", "--target", "onsite", "--since", "2030-01", "--until", "2030-06")
    assert "breached" in shown and "onsite" in shown and "P2" in shown
    assert "Alpha Health" in report and "2030-05" in report and "0.0%" in report
    with pytest.raises(CommandError, match="no work order 999999"):
        sla("show", "wo", "999999")
    with pytest.raises(CommandError, match="YYYY-MM"):
        sla("attainment", "--since", "last year")
