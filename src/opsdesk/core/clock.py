"""The one source of 'now'. Always timezone-aware (UTC); tests may freeze it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

UTC = dt.UTC
_source: Callable[[], dt.datetime] = lambda: dt.datetime.now(tz=UTC)  # noqa: E731


def now() -> dt.datetime:
    """Current instant, aware, in UTC."""
    return _source()


def today_utc() -> dt.date:
    """Today's date in UTC."""
    return now().date()


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze now() at an aware instant for the duration of the block."""
    global _source
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous = _source
    _source = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _source = previous
