"""Site calendars shared by the business-time tests: four sites, 24x7, night shifts, DST boundaries."""

from __future__ import annotations

import datetime as dt
from functools import cache

from opsdesk.sites import businesstime as bt
from opsdesk.sites import rules

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _hours(start: str, end: str, days=WEEKDAYS) -> dict[str, list[list[str]]]:
    return {d: [[start, end]] for d in days}


# name -> (zone, business hours, holiday country, subdivision)
CALENDARS = {
    "london": ("Europe/London", _hours("08:00", "18:00"), "GB", "ENG"),
    "new_york": ("America/New_York", _hours("09:00", "17:00"), "US", ""),
    "kolkata": ("Asia/Kolkata", _hours("09:30", "18:30"), "IN", ""),
    "sydney": ("Australia/Sydney", _hours("08:30", "17:00"), "AU", "NSW"),
    "london_24x7": ("Europe/London", _hours("00:00", "24:00", rules.WEEKDAYS), "", ""),
    "new_york_24x7": ("America/New_York", _hours("00:00", "24:00", rules.WEEKDAYS), "", ""),
    "sydney_24x7": ("Australia/Sydney", _hours("00:00", "24:00", rules.WEEKDAYS), "", ""),
    # Sunday night shifts spanning each zone's change (no holidays: Easter Sunday is one in NSW).
    "london_sun_night": ("Europe/London", {"sun": [["00:00", "04:00"]]}, "", ""),
    "new_york_sun_night": ("America/New_York", {"sun": [["00:00", "06:00"]]}, "", ""),
    "sydney_sun_night": ("Australia/Sydney", {"sun": [["00:00", "06:00"]]}, "", ""),
    # Boundaries inside the gap (spring) and the repeated hour (autumn).
    "london_sun_0130": ("Europe/London", {"sun": [["01:30", "03:00"]]}, "", ""),
    "new_york_sun_0230": ("America/New_York", {"sun": [["02:30", "04:00"]]}, "", ""),
    "new_york_sun_0130": ("America/New_York", {"sun": [["01:30", "03:00"]]}, "", ""),
    # An overnight shift: the end of Monday and the start of Tuesday join.
    "london_overnight": ("Europe/London", {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]}, "", ""),
    "london_split": ("Europe/London", {d: [["08:00", "12:00"], ["13:00", "17:30"]] for d in WEEKDAYS}, "GB", "ENG"),
}


@cache
def cal(name: str) -> bt.Calendar:
    if name == "24x7":
        return bt.TWENTY_FOUR_SEVEN
    return rules.calendar_for(*CALENDARS[name])


def at(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None, text
    return value


