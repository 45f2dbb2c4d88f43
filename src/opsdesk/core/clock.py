"""The one source of 'now'. Always timezone-aware (UTC); tests may freeze it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

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


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(name: object) -> str:
    """The IANA name if known, else ValueError naming the problem."""
    if not isinstance(name, str) or name not in _zones():
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Europe/London, America/New_York)")
    ZoneInfo(name)
    return name


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name; UTC for an empty or unknown one (for display)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")
