"""Synthetic HTTP checks: the worker GETs the URLs administrators configured, on their schedule.

`run_due_checks` (periodic job "slos-synthetic", every 15 s) takes the active checks whose
`next_run_at` has passed, claims each (so a second worker does not run it too), fetches them
concurrently on a small thread pool (MAX_THREADS: one slow URL does not hold up the others) and
then, in the calling thread, records a SyntheticResult per run and counts one event into the
linked SLOs' bucket of the current minute (an upsert that adds: availability good when the check
passed, latency good when it passed within the latency SLO's threshold).

What is fetched, and how:
- only the URL stored in the check (http or https, validated on save), with GET, no body, and only
  when its host still resolves to addresses the SSRF guard (core.outbound) accepts: it is vetted
  again before each run (DNS may have changed since it was configured) and the connection goes to
  the address vetted; a refused one is a failed run with the reason, nothing is connected to;
- redirects are not followed: the worker fetches the configured URL and nothing else (a redirect
  could lead it anywhere, internal addresses included). A 3xx is the check's answer, and passes
  when it is below `fail_status_from` (400 by default);
- the check's timeout (at most MAX_TIMEOUT, 10 s) bounds connecting and each read, and the whole
  exchange: a response still arriving after it is a failure ("timed out"). A run waits for its
  fetches at most the timeouts (per round of MAX_THREADS) and a second: a fetch unfinished by then
  (a server trickling its headers) is recorded as timed out and abandoned;
- at most MAX_BODY bytes of the body are read; a check passes when the status is below
  `fail_status_from`. The duration is from the start of the connection to the end of that read.
- HTTPS certificates are verified (a check of a host with a bad certificate fails, with why).
Proxy settings from the environment are not used.
"""

from __future__ import annotations

import datetime as dt
import http.client
import math
import ssl
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from opsdesk.core import clock, outbound

from . import queries
from .models import SliBucket, SyntheticCheck, SyntheticResult

MAX_THREADS = 8
MAX_TIMEOUT = 10.0
MAX_BODY = 64 * 1024
MAX_PER_RUN = 200  # checks taken by one run; the rest are due again at the next
USER_AGENT = "opsdesk-synthetic/1"
BUCKET_SECONDS = 60
GRACE_SECONDS = 1.0  # beyond the timeouts, before a run gives up on a fetch


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one fetch found: the status (None: no answer), how long it took, and why it failed."""

    status: int | None
    duration_ms: float
    error: str = ""


def fetch(url: str, timeout: float) -> Outcome:
    """GET the URL once, within `timeout` seconds (capped at MAX_TIMEOUT), following no redirect.

    The URL is vetted again here, on what its host resolves to now (core.outbound, the SSRF
    guard): a refused address is a failure with the reason and no connection is made; otherwise
    the connection goes to the vetted address, never to a second resolution of the name."""
    timeout = max(0.1, min(float(timeout), MAX_TIMEOUT))
    started = time.monotonic()
    deadline = started + timeout

    def elapsed_ms() -> float:
        return (time.monotonic() - started) * 1000.0

    try:
        target = outbound.vet_url(url)
    except outbound.OutboundRefused as exc:
        return Outcome(None, elapsed_ms(), f"refused: {exc.detail}"[:300])
    try:
        conn = outbound.connection(target, timeout)
        try:
            conn.request("GET", target.target,
                         headers={"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"})
            response = conn.getresponse()
            remaining = MAX_BODY
            while remaining > 0:
                if time.monotonic() > deadline:
                    return Outcome(None, elapsed_ms(), f"timed out after {timeout:g} s reading the body")
                chunk = response.read1(min(remaining, 8192))  # one receive: each bounded by the timeout
                if not chunk:
                    break
                remaining -= len(chunk)
            if time.monotonic() > deadline:
                return Outcome(None, elapsed_ms(), f"timed out after {timeout:g} s")
            return Outcome(response.status, elapsed_ms())
        finally:
            conn.close()
    except TimeoutError:
        return Outcome(None, elapsed_ms(), f"timed out after {timeout:g} s")
    except ssl.SSLError as exc:
        return Outcome(None, elapsed_ms(), f"TLS error: {exc}"[:300])
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, elapsed_ms(), f"{type(exc).__name__}: {exc}"[:300])


def _claim(checks: list[SyntheticCheck], now: dt.datetime) -> list[SyntheticCheck]:
    """The checks this run takes: each moved to its next run, unless another run moved it first."""
    taken = []
    for check in checks:
        following = now + dt.timedelta(seconds=check.interval_seconds)
        moved = SyntheticCheck.objects.filter(pk=check.pk, next_run_at=check.next_run_at).update(next_run_at=following)
        if moved:
            check.next_run_at = following
            taken.append(check)
    return taken


def _minute(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _count(slo_id: int, start: dt.datetime, good: bool) -> None:
    """Add one event to the SLO's bucket at `start` (made when missing)."""
    SliBucket.objects.bulk_create([SliBucket(slo_id=slo_id, start_at=start, seconds=BUCKET_SECONDS, good=0, valid=0)],
                                  ignore_conflicts=True)
    SliBucket.objects.filter(slo_id=slo_id, start_at=start).update(
        good=F("good") + (1 if good else 0), valid=F("valid") + 1)


@transaction.atomic
def record(check: SyntheticCheck, outcome: Outcome, at: dt.datetime) -> SyntheticResult:
    """Store one run of a check and count it into its SLOs' bucket of that minute."""
    ok = outcome.status is not None and outcome.status < check.fail_status_from and not outcome.error
    error = outcome.error or ("" if ok else f"HTTP {outcome.status} (fails from {check.fail_status_from})")
    result = SyntheticResult.objects.create(check_run=check, at=at, status_code=outcome.status,
                                            duration_ms=round(outcome.duration_ms, 3), ok=ok, error=error[:300])
    start = _minute(at)
    if check.availability_slo_id and (slo := check.availability_slo) is not None and slo.active:
        _count(slo.pk, start, ok)
    if check.latency_slo_id and (slo := check.latency_slo) is not None and slo.active:
        fast = ok and outcome.duration_ms <= float(slo.latency_threshold_ms or 0)
        _count(slo.pk, start, fast)
    return result


def _fetch_check(check: SyntheticCheck) -> Outcome:
    try:
        return fetch(check.url, check.timeout_seconds)
    except Exception as exc:  # a fault of one check must not lose the others' results
        return Outcome(None, 0.0, f"{type(exc).__name__}: {exc}"[:300])


def run_checks(checks: list[SyntheticCheck], now: dt.datetime | None = None) -> list[SyntheticResult]:
    """Fetch the checks concurrently and record each (in this thread: the pool only does HTTP)."""
    if not checks:
        return []
    at = now or clock.now()
    threads = min(MAX_THREADS, len(checks))
    # A hard cap on the whole run, whatever a server does (e.g. trickling its headers): each round
    # of `threads` checks takes at most the longest timeout; a fetch not done by then is a timeout.
    longest = max(min(float(c.timeout_seconds), MAX_TIMEOUT) for c in checks)
    cap = math.ceil(len(checks) / threads) * longest + GRACE_SECONDS
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="synthetic")
    try:
        futures = [pool.submit(_fetch_check, c) for c in checks]
        wait(futures, timeout=cap)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a straggler only holds a socket; it writes nothing
    outcomes = [
        fut.result() if fut.done() and not fut.cancelled()
        else Outcome(None, min(float(c.timeout_seconds), MAX_TIMEOUT) * 1000.0, "timed out (no complete answer)")
        for c, fut in zip(checks, futures, strict=True)
    ]
    return [record(check, outcome, at) for check, outcome in zip(checks, outcomes, strict=True)]


def run_due_checks(now: dt.datetime | None = None) -> list[SyntheticResult]:
    """Run every active check that is due (at most MAX_PER_RUN); their results."""
    now = now or clock.now()
    checks = _claim(queries.list_due_checks(now, MAX_PER_RUN), now)
    return run_checks(checks, now)
