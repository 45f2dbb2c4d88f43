"""Pure decisions about alerts: what a signal does to an alert, label matching, flapping."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# What a signal does, given whether its key has an open (firing or acknowledged) alert.
OPEN, UPDATE, ACKNOWLEDGE, RESOLVE, IGNORE = "open", "update", "acknowledge", "resolve", "ignore"
OPEN_STATUSES = ("firing", "acknowledged")
REDELIVERY_WINDOW = dt.timedelta(minutes=5)


def decide(action: str, has_open: bool, open_status: str | None = None) -> str:
    """Events API semantics, for every format.

    A trigger updates (and counts) the open alert with its key, or opens a new one; acknowledge
    and resolve change an open alert, and for an unknown or resolved key change nothing.
    """
    if action == "trigger":
        return UPDATE if has_open else OPEN
    if not has_open:
        return IGNORE
    if action == "acknowledge":
        return ACKNOWLEDGE if open_status == "firing" else IGNORE
    if action == "resolve":
        return RESOLVE
    return IGNORE


@dataclass(frozen=True)
class Matcher:
    """One mapping rule's condition on a label, Prometheus-style: =, !=, =~, !~ (regexes anchored)."""

    label: str
    operator: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the labels satisfy the condition (a missing label counts as the empty string)."""
        found = str(labels.get(self.label, ""))
        if self.operator == "=":
            return found == self.value
        if self.operator == "!=":
            return found != self.value
        matched = _compiled(self.value).fullmatch(found) is not None
        return matched if self.operator == "=~" else not matched


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def valid_pattern(pattern: str) -> str | None:
    """None when `pattern` is a usable regular expression, else what is wrong with it."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


def first_target(rules: Iterable[tuple[Matcher, int]], labels: Mapping[str, str]) -> int | None:
    """The target id of the first rule whose condition the labels satisfy."""
    for matcher, target in rules:
        if matcher.matches(labels):
            return target
    return None


def is_flapping(recent_opens: Sequence[dt.datetime], now: dt.datetime, *, threshold: int, window: dt.timedelta) -> bool:
    """An alert flaps when it opened (fired again after a resolve) `threshold` times within `window`."""
    return sum(1 for at in recent_opens if now - at <= window) >= threshold
