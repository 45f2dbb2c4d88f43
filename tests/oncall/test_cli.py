"""`opsdesk oncall` with captured output."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.oncall.helpers import make_schedule

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("oncall", *args, stdout=out)
    return out.getvalue()


def test_now_by_name_and_id_with_local_and_utc_time() -> None:
    a, b = f.make_user("engineer", username="ada"), f.make_user("engineer", username="bo")
    schedule = make_schedule([a, b], name="EPR nights")
    text = _run("now", "EPR nights", "--at", "2026-07-01T12:00:00Z")
    assert "on call at Wed 01 Jul 2026 13:00 Europe/London (2026-07-01 12:00 UTC)" in text
    assert ("ada" in text) != ("bo" in text)
    assert _run("now", str(schedule.pk), "--at", "2026-07-01T12:00:00Z") == text


def test_now_in_a_gap_and_errors() -> None:
    make_schedule([f.make_user("engineer")], name="Days", layers=[{
        "name": "D", "rotation": "weekly", "handoff": "09:00", "start": "2026-01-05",
        "people": [f.make_user("engineer").pk], "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}])
    assert "NOBODY is on call" in _run("now", "Days", "--at", "2026-07-04T12:00:00Z")
    with pytest.raises(CommandError, match="no schedule"):
        _run("now", "Nope")
    with pytest.raises(CommandError, match="offset"):
        _run("now", "Days", "--at", "2026-07-04T12:00:00")


def test_show_week_marks_gaps_and_list() -> None:
    make_schedule([f.make_user("engineer", username="cy")], name="Days", layers=[{
        "name": "D", "rotation": "weekly", "handoff": "09:00", "start": "2026-01-05",
        "people": [f.make_user("engineer", username="di").pk],
        "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}])
    text = _run("show", "Days", "--week", "--start", "2026-03-23")
    assert "Mon 23 Mar" in text and "09:00–17:00 di" in text and "GAP 17:00–00:00 nobody covers" in text
    assert "Sun 29 Mar" in text
    listing = _run("list")
    assert "Days" in listing and "Europe/London" in listing
