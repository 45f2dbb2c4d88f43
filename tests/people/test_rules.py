"""Pure people rules: expiry warnings."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.people import rules

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("expires", "status"),
    [
        (None, "valid"),
        (TODAY - dt.timedelta(days=1), "expired"),
        (TODAY, "expiring"),
        (TODAY + dt.timedelta(days=30), "expiring"),
        (TODAY + dt.timedelta(days=31), "valid"),
    ],
)
def test_expiry_status(expires, status):
    assert rules.expiry_status(expires, TODAY) == status


def test_valid_on_is_inclusive():
    assert rules.valid_on(TODAY, TODAY)
    assert not rules.valid_on(TODAY, TODAY + dt.timedelta(days=1))
    assert rules.valid_on(None, TODAY)
