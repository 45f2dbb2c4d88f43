"""SLO use cases: create and change SLOs, rotate their SLI keys, record measurements (issue 6).

An SLO's SLI key is shown once (on create and rotate); only its SHA-256 is stored, with the first
characters to recognise it. Measurements are batches of buckets, all-or-nothing: one bad bucket
refuses the batch with every problem named by its index, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, outbound, timeline
from opsdesk.core.errors import Conflict, InvalidInput, field_error
from opsdesk.services.models import Service

from .keys import KEY_SHOWN, hash_key, new_key
from .models import SliBucket, Slo, SyntheticCheck
from .rules import MAX_BUCKET_SECONDS

MAX_WINDOW_DAYS = 90
MAX_BUCKETS = 1000  # per call
FUTURE_SKEW = dt.timedelta(minutes=5)  # a sender's clock may run this far ahead of ours
MAX_COUNT = 2**63 - 1
MAX_THRESHOLD_MS = 2**31 - 1
SLO_FIELDS = ("name", "objective", "window_days", "latency_threshold_ms", "alerting", "active")
MAX_ERRORS = 20  # problems listed in one refusal


def _validate(slo: Slo) -> None:
    """Raise a field error for the first thing an SLO may not be."""
    name = (slo.name or "").strip()
    if not name:
        raise field_error("name", "an SLO needs a name")
    if "\x00" in name or len(name) > 200:
        raise field_error("name", "at most 200 characters, no NUL")
    if slo.kind not in Slo.Kind.values:
        raise field_error("kind", f"one of {', '.join(Slo.Kind.values)}")
    objective = slo.objective
    if not isinstance(objective, int | float) or not 0.0 < float(objective) < 1.0:
        raise field_error("objective", "a share strictly between 0 and 1, e.g. 0.999")
    if not isinstance(slo.window_days, int) or not 1 <= slo.window_days <= MAX_WINDOW_DAYS:
        raise field_error("window_days", f"a whole number of days from 1 to {MAX_WINDOW_DAYS}")
    threshold = slo.latency_threshold_ms
    if slo.kind == Slo.Kind.LATENCY:
        if threshold is None or not 0 < threshold <= MAX_THRESHOLD_MS:
            raise field_error("latency_threshold_ms", "a latency SLO needs a threshold in milliseconds above 0")
    elif threshold is not None:
        raise field_error("latency_threshold_ms", "only latency SLOs have a threshold")


def _unique_name(slo: Slo) -> None:
    taken = Slo.objects.filter(service_id=slo.service_id, name=slo.name).exclude(pk=slo.pk).exists()
    if taken:
        raise Conflict(f"The service already has an SLO named '{slo.name}'.")


def _service(value: Any) -> Service:
    service = Service.objects.filter(pk=value).select_related("client").first() if value else None
    if service is None:
        raise field_error("service", f"unknown service id: {value}")
    return service


def _shown(slo: Slo) -> dict[str, Any]:
    """What the timeline keeps of an SLO (never its key hash)."""
    return {k: v for k, v in timeline.snapshot(slo).items() if k not in ("key_hash", "firing")}


@transaction.atomic
def create_slo(data: Mapping[str, Any], *, actor: User) -> tuple[Slo, str]:
    """Add an SLO to a service; returns it and its SLI key (shown this once, only its hash is kept)."""
    service = _service(data.get("service"))
    raw = new_key()
    slo = Slo(
        service=service, name=str(data.get("name") or "").strip(), kind=data.get("kind") or "",
        objective=data.get("objective") or 0.0, window_days=data.get("window_days") or 28,
        latency_threshold_ms=data.get("latency_threshold_ms"),
        alerting=bool(data.get("alerting", True)), active=bool(data.get("active", True)),
        key_hash=hash_key(raw), key_prefix=raw[:KEY_SHOWN],
    )
    _validate(slo)
    _unique_name(slo)
    slo.save()
    changes = {k: [None, v] for k, v in _shown(slo).items() if v not in (None, "", [], {})}
    timeline.record(slo, "created", actor=actor, summary=f"SLO {slo.name} ({slo.kind}, {slo.objective:.4%} "
                    f"over {slo.window_days} days) on {service.name}", changes=changes)
    return slo, raw


@transaction.atomic
def update_slo(slo: Slo, data: Mapping[str, Any], *, actor: User) -> Slo:
    """Change an SLO's name, objective, window, threshold, alerting or active flag (kind and service
    stay: the buckets already recorded mean what they meant). Burn-rate alerts of an SLO switched
    off are resolved by the next evaluation."""
    before = _shown(slo)
    for key, value in data.items():
        if key not in SLO_FIELDS:
            continue
        if value is None and key != "latency_threshold_ms":
            raise field_error(key, "may not be null")
        setattr(slo, key, value.strip() if isinstance(value, str) else value)
    _validate(slo)
    _unique_name(slo)
    # Only these fields: `firing` belongs to the burn-rate evaluator, which may have moved meanwhile.
    slo.save(update_fields=[*SLO_FIELDS, "updated_at"])
    changes = timeline.diff(before, _shown(slo))
    if changes:
        timeline.record(slo, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
    return slo


@transaction.atomic
def rotate_slo_key(slo: Slo, *, actor: User) -> str:
    """A new SLI key for the SLO; the old one stops working at once."""
    raw = new_key()
    slo.key_hash, slo.key_prefix = hash_key(raw), raw[:KEY_SHOWN]
    slo.save(update_fields=["key_hash", "key_prefix", "updated_at"])
    timeline.record(slo, "key_rotated", actor=actor, summary=f"SLI key rotated (now {slo.key_prefix}…)")
    return raw


def _bucket_problems(i: int, bucket: Mapping[str, Any], now: dt.datetime, oldest: dt.datetime) -> list[dict[str, str]]:
    """What is wrong with one bucket, each problem naming `buckets[i].field`."""
    where = f"buckets[{i}]"
    out: list[dict[str, str]] = []
    start, seconds = bucket.get("start"), bucket.get("seconds", 60)
    good, total = bucket.get("good"), bucket.get("total")
    if not isinstance(start, dt.datetime) or start.tzinfo is None:
        out.append({"field": f"{where}.start", "message": "an ISO 8601 instant with its UTC offset"})
    elif start > now + FUTURE_SKEW:
        out.append({"field": f"{where}.start", "message": f"{start.isoformat()} is in the future"})
    elif start < oldest:
        out.append({"field": f"{where}.start", "message": f"{start.isoformat()} is older than the SLO's window "
                                                           f"(from {oldest.isoformat()})"})
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_BUCKET_SECONDS:
        out.append({"field": f"{where}.seconds", "message": f"whole seconds from 1 to {MAX_BUCKET_SECONDS}"})
    counts_ok = True
    for name, value in (("good", good), ("total", total)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            out.append({"field": f"{where}.{name}", "message": "a whole number of events, 0 or more"})
            counts_ok = False
    if counts_ok and isinstance(good, int) and isinstance(total, int) and good > total:
        out.append({"field": f"{where}.good", "message": f"good ({good}) exceeds total ({total})"})
    return out


def _check_batch(slo: Slo, buckets: list[Mapping[str, Any]], now: dt.datetime) -> None:
    """Refuse the whole batch (InvalidInput listing each bad bucket by index) if any bucket is bad."""
    if not buckets:
        raise field_error("buckets", "send at least one bucket")
    if len(buckets) > MAX_BUCKETS:
        raise field_error("buckets", f"at most {MAX_BUCKETS} buckets per call, got {len(buckets)}")
    oldest = now - dt.timedelta(days=slo.window_days)
    problems: list[dict[str, str]] = []
    seen: dict[dt.datetime, int] = {}
    for i, bucket in enumerate(buckets):
        found = _bucket_problems(i, bucket, now, oldest)
        start = bucket.get("start")
        if not found and isinstance(start, dt.datetime):
            if start in seen:
                found.append({"field": f"buckets[{i}].start",
                              "message": f"the same start as buckets[{seen[start]}]; send each start once"})
            seen.setdefault(start, i)
        problems += found
    if problems:
        shown = problems[:MAX_ERRORS]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in shown[:3])
        raise InvalidInput(f"Nothing was recorded: {detail}{more}.", errors=shown)


@transaction.atomic
def record_measurements(slo: Slo, buckets: Iterable[Mapping[str, Any]], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Store a batch of buckets (start, seconds, good, total) of the SLO, all or nothing.

    A start already stored is replaced (a retried batch changes nothing); the answer counts the
    buckets written and how many of them replaced earlier counts.
    """
    now = now or clock.now()
    items = list(buckets)
    _check_batch(slo, items, now)
    rows = [
        SliBucket(slo=slo, start_at=b["start"].astimezone(dt.UTC), seconds=int(b.get("seconds", 60)),
                  good=int(b["good"]), valid=int(b["total"]))
        for b in items
    ]
    replaced = SliBucket.objects.filter(slo=slo, start_at__in=[r.start_at for r in rows]).count()
    SliBucket.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=["slo", "start_at"],
        update_fields=["seconds", "good", "valid"],
    )
    return {"written": len(rows), "replaced": replaced}


# --- synthetic checks -------------------------------------------------------------------------------

CHECK_FIELDS = ("name", "url", "fail_status_from", "interval_seconds", "timeout_seconds", "active")
MIN_INTERVAL, MAX_INTERVAL = 30, 86400
MIN_TIMEOUT, MAX_TIMEOUT = 0.5, 10.0


def _check_url(url: Any) -> str:
    """The URL if the worker may fetch it: http(s), a host, no spaces or control characters, and
    not an internal address (core.outbound, the SSRF guard; the reason is the 422's detail)."""
    if not isinstance(url, str) or not url.strip():
        raise field_error("url", "an http:// or https:// URL")
    url = url.strip()
    if len(url) > 500 or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise field_error("url", "at most 500 characters, without spaces or control characters")
    try:
        return outbound.check_configured_url(url)
    except outbound.OutboundRefused as exc:
        raise field_error("url", exc.detail) from None


def _validate_check(check: SyntheticCheck) -> None:
    if not (check.name or "").strip() or "\x00" in check.name or len(check.name) > 200:
        raise field_error("name", "a check needs a name (at most 200 characters)")
    check.url = _check_url(check.url)
    if not isinstance(check.fail_status_from, int) or not 100 <= check.fail_status_from <= 599:
        raise field_error("fail_status_from", "an HTTP status from 100 to 599")
    if not isinstance(check.interval_seconds, int) or not MIN_INTERVAL <= check.interval_seconds <= MAX_INTERVAL:
        raise field_error("interval_seconds", f"from {MIN_INTERVAL} to {MAX_INTERVAL} seconds")
    timeout = check.timeout_seconds
    if not isinstance(timeout, int | float) or not MIN_TIMEOUT <= float(timeout) <= MAX_TIMEOUT:
        raise field_error("timeout_seconds", f"from {MIN_TIMEOUT} to {MAX_TIMEOUT:g} seconds")


def _linked_slo(check: SyntheticCheck, value: Any, kind: str, field: str) -> Slo | None:
    """The SLO a check counts into: of the check's service and of the right kind."""
    if value is None:
        return None
    slo = Slo.objects.filter(pk=value).first()
    if slo is None:
        raise field_error(field, f"unknown SLO id: {value}")
    if slo.service_id != check.service_id:
        raise field_error(field, f"SLO {slo.pk} belongs to another service")
    if slo.kind != kind:
        raise field_error(field, f"SLO {slo.pk} is a {slo.kind} SLO, not {kind}")
    return slo


def _set_check_fields(check: SyntheticCheck, data: Mapping[str, Any]) -> None:
    for key in CHECK_FIELDS:
        if key in data:
            if data[key] is None:
                raise field_error(key, "may not be null")
            setattr(check, key, data[key].strip() if isinstance(data[key], str) else data[key])
    if "availability_slo" in data:
        check.availability_slo = _linked_slo(check, data["availability_slo"], Slo.Kind.AVAILABILITY, "availability_slo")
    if "latency_slo" in data:
        check.latency_slo = _linked_slo(check, data["latency_slo"], Slo.Kind.LATENCY, "latency_slo")


@transaction.atomic
def create_check(data: Mapping[str, Any], *, actor: User) -> SyntheticCheck:
    """Add a synthetic HTTP check on a service's URL; it runs at once, then every interval."""
    service = _service(data.get("service"))
    check = SyntheticCheck(service=service, next_run_at=clock.now())
    _set_check_fields(check, {k: v for k, v in data.items() if v is not None})
    _validate_check(check)
    check.save()
    timeline.record(check, "created", actor=actor, summary=f"Synthetic check {check.name} of {check.url} "
                    f"every {check.interval_seconds} s on {service.name}")
    return check


@transaction.atomic
def update_check(check: SyntheticCheck, data: Mapping[str, Any], *, actor: User) -> SyntheticCheck:
    """Change a synthetic check; switched on again, it runs at once."""
    before = timeline.snapshot(check)
    was_active = check.active
    _set_check_fields(check, data)
    _validate_check(check)
    fields = [*CHECK_FIELDS, "availability_slo", "latency_slo", "updated_at"]
    if check.active and not was_active:
        check.next_run_at = clock.now()
        fields.append("next_run_at")
    check.save(update_fields=fields)  # not next_run_at otherwise: the worker's, which may have moved
    changes = timeline.diff(before, timeline.snapshot(check))
    changes.pop("next_run_at", None)
    if changes:
        timeline.record(check, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
    return check
