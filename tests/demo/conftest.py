"""The small demo, loaded once per module that uses `demo` and rolled back after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction

from opsdesk.demo import loader
from opsdesk.demo.context import DemoContext

TODAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[DemoContext]:
    """The small demo (seed 1, today 2026-03-02), loaded once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield loader.load("small", 1, today=TODAY)
        transaction.set_rollback(True)
