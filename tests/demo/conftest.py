"""The small demo, loaded once per module that uses `demo` and rolled back after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction

from opsdesk.demo import loader
from opsdesk.demo.context import DemoContext

TODAY = dt.date(2026, 3, 2)
# The demo's "now" on its today: fixed, so figures that turn on the hour (clocks due this
# afternoon) read the same whenever the suite runs.
TIME_OF_DAY = dt.time(10, 0)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[DemoContext]:
    """The small demo (seed 1, today 2026-03-02 at 10:00 UTC), loaded once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield loader.load("small", 1, today=TODAY, time_of_day=TIME_OF_DAY)
        transaction.set_rollback(True)
