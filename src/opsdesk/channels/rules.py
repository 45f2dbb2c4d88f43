"""Pure decisions of channels: the retry schedule, which endpoints an event goes to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

# Waits after the 1st, 2nd, ... failed attempt; the last wait repeats. The last try is at most
# GIVE_UP_AFTER after the first one (then the delivery is given up).
BACKOFF: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(minutes=30),
    dt.timedelta(hours=1), dt.timedelta(hours=2), dt.timedelta(hours=4), dt.timedelta(hours=8),
)
GIVE_UP_AFTER = dt.timedelta(hours=24)
ANSWER_LIMIT = 2048


def next_attempt(first_attempt_at: dt.datetime, attempts: int, now: dt.datetime,
                 at_least: dt.timedelta | None = None) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts (None: give up).

    The wait grows along BACKOFF (or is `at_least`, a receiver's Retry-After, when that is longer);
    a retry that would land past 24 h after the first attempt is moved to exactly that instant,
    and after that one nothing more is tried."""
    deadline = first_attempt_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    if at_least is not None:
        wait = max(wait, at_least)
    return min(now + wait, deadline)


def retry_after(header: str) -> dt.timedelta | None:
    """A Retry-After header in seconds (`30`) as a wait; None when absent or not a number of seconds
    (an HTTP date is ignored: the backoff applies)."""
    header = header.strip()
    if not header.isdigit():
        return None
    return dt.timedelta(seconds=min(int(header), int(GIVE_UP_AFTER.total_seconds())))


def schedule(first_attempt_at: dt.datetime, failures: int) -> list[dt.datetime]:
    """Every attempt instant of a delivery that always fails, the first included (for display and tests)."""
    at, out = first_attempt_at, [first_attempt_at]
    for n in range(1, failures + 1):
        nxt = next_attempt(first_attempt_at, n, at)
        if nxt is None:
            break
        at = nxt
        out.append(at)
    return out


def subscribed(events: Sequence[str] | None, event: str) -> bool:
    """Whether an endpoint subscribed to `events` (empty: all) gets `event` (pings always go through)."""
    return not events or event in events or event == "ping"


def team_matches(endpoint_team: str, team: str) -> bool:
    """An endpoint with a team gets only that team's events; one without a team gets every team's."""
    return not endpoint_team or endpoint_team == team


def client_allowed(endpoint_client_id: int | None, client_ids: Iterable[int]) -> bool:
    """An internal endpoint gets every event; a client's endpoint only events of that client."""
    return endpoint_client_id is None or endpoint_client_id in set(client_ids)


def delivered(status: int | None) -> bool:
    """A 2xx answer is a delivery."""
    return status is not None and 200 <= status < 300


def gone(status: int | None) -> bool:
    """410 Gone: the receiver says the endpoint no longer exists (disable it at once)."""
    return status == 410


def clip(text: str, limit: int = ANSWER_LIMIT) -> str:
    """The first `limit` characters of an answer."""
    return text[:limit]
