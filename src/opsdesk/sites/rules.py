"""Pure decisions about sites: time zones, business hours, holidays, requirement applicability."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from functools import lru_cache, partial
from zoneinfo import ZoneInfo

import holidays

from opsdesk.core.clock import validate_time_zone as validate_time_zone

from .businesstime import Calendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

BusinessHours = dict[str, list[list[str]]]


def default_business_hours() -> BusinessHours:
    """Mon-Fri 08:00-18:00, weekends closed."""
    return {d: ([["08:00", "18:00"]] if d not in ("sat", "sun") else []) for d in WEEKDAYS}


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def validate_business_hours(value: object) -> BusinessHours:
    """Normalise {"mon": [["08:00","18:00"]], ...}: every weekday present, intervals ordered and disjoint."""
    if not isinstance(value, dict):
        raise ValueError("business_hours must be an object keyed by weekday (mon..sun)")
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday key(s): {', '.join(sorted(map(str, unknown)))}")
    out: BusinessHours = {}
    for day in WEEKDAYS:
        intervals = value.get(day, [])
        if not isinstance(intervals, list):
            raise ValueError(f"{day}: expected a list of [start, end] pairs")
        cleaned: list[list[str]] = []
        for pair in intervals:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(p, str) and _HHMM.match(p) for p in pair)
            ):
                raise ValueError(f"{day}: each interval is [\"HH:MM\", \"HH:MM\"], got {pair!r}")
            if _minutes(pair[0]) >= _minutes(pair[1]):
                raise ValueError(f"{day}: interval {pair[0]}-{pair[1]} ends before it starts")
            cleaned.append([pair[0], pair[1]])
        cleaned.sort(key=lambda p: _minutes(p[0]))
        for a, b in itertools.pairwise(cleaned):
            if _minutes(b[0]) < _minutes(a[1]):
                raise ValueError(f"{day}: intervals {a[0]}-{a[1]} and {b[0]}-{b[1]} overlap")
        out[day] = cleaned
    return out


def validate_holiday_calendar(country: str, subdivision: str) -> tuple[str, str]:
    """A country (ISO 3166-1 alpha-2) and optional subdivision that the holidays library knows."""
    if not country:
        if subdivision:
            raise ValueError("holiday_subdivision needs a holiday_country")
        return "", ""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"'{country}' is not a supported holiday country (ISO 3166-1 alpha-2)")
    if subdivision and subdivision not in supported[country]:
        raise ValueError(f"'{subdivision}' is not a subdivision of {country}")
    return country, subdivision


@lru_cache(maxsize=512)
def _calendar(country: str, subdivision: str, year: int) -> dict[dt.date, str]:
    cal = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(cal.items())


def holidays_between(country: str, subdivision: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Public holidays in [start, end], sorted."""
    if not country:
        return []
    found: list[tuple[dt.date, str]] = []
    for year in range(start.year, end.year + 1):
        found.extend((d, n) for d, n in _calendar(country, subdivision, year).items() if start <= d <= end)
    return sorted(found)


def is_holiday(country: str, subdivision: str, day: dt.date) -> bool:
    """Whether `day` is a public holiday in that calendar."""
    return bool(country) and day in _calendar(country, subdivision, day.year)


def _holiday_dates(country: str, subdivision: str, year: int) -> Iterable[dt.date]:
    return _calendar(country, subdivision, year).keys()


def calendar_for(
    time_zone: str, business_hours: BusinessHours, holiday_country: str = "", holiday_subdivision: str = ""
) -> Calendar:
    """The business-time calendar of a site (see sites.businesstime), built once per process."""
    week = tuple(tuple(tuple(pair) for pair in business_hours.get(day, ())) for day in WEEKDAYS)
    return _calendar_for(time_zone, week, holiday_country, holiday_subdivision)


@lru_cache(maxsize=1024)
def _calendar_for(
    time_zone: str, week: tuple[tuple[tuple[str, ...], ...], ...], country: str, subdivision: str
) -> Calendar:
    hours = {day: [list(pair) for pair in spans] for day, spans in zip(WEEKDAYS, week, strict=True)}
    dates = partial(_holiday_dates, country, subdivision) if country else ()
    return Calendar(time_zone, hours, dates)


def local_now(time_zone: str, at: dt.datetime) -> dt.datetime:
    """`at` (aware) shown in the site's zone."""
    return at.astimezone(ZoneInfo(time_zone))


def is_open(hours: BusinessHours, country: str, subdivision: str, local: dt.datetime) -> bool:
    """Whether a site-local instant falls inside business hours (holidays closed)."""
    if is_holiday(country, subdivision, local.date()):
        return False
    minute = local.hour * 60 + local.minute
    day = WEEKDAYS[local.weekday()]
    return any(_minutes(a) <= minute < _minutes(b) for a, b in hours.get(day, []))


def applies_to(requirement_categories: Iterable[str], category: str) -> bool:
    """A requirement with no categories applies to every category of work."""
    cats = list(requirement_categories)
    return not cats or category in cats
