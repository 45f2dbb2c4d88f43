"""Readiness of work orders as the services, the API, the pages and dispatch ask for it: one work
order, many (per chunk), by id, and the API shape of an answer.

The facts are loaded by readiness.batch (the same number of queries for one work order or a
thousand) and judged by the pure readiness.rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from opsdesk.core import clock
from opsdesk.core.bulk import no_cycle_collection
from opsdesk.core.queries import id_list

from ..eligibility import Verdict
from ..models import WorkOrder
from . import rules
from .batch import CHUNK, Batch, Work, work_rows
from .rules import Readiness, ReadinessInputs


def inputs_for(wo: WorkOrder, *, exhaustive: bool = True) -> ReadinessInputs:
    """The readiness inputs of one work order (about twenty queries, whatever the data).

    Without `exhaustive`, people are checked until the first eligible engineer: the same verdict
    (the gate only asks "anyone?"), without judging the whole region when someone is eligible.
    """
    return Batch([wo], everyone=exhaustive).inputs(wo, exhaustive=exhaustive)


def evaluate_work_order(wo: WorkOrder, now: dt.datetime | None = None, *, exhaustive: bool = False) -> Readiness:
    """Readiness of one work order at `now` (default: the clock)."""
    return rules.evaluate(inputs_for(wo, exhaustive=exhaustive), now or clock.now())


def eligibility_batch(work_orders: list[WorkOrder]) -> Batch:
    """Everything eligibility needs for these work orders and their regions' engineers, loaded once
    (dispatch judges every engineer of a region against each piece of a day's work)."""
    return Batch(list(work_orders), everyone=True)


def eligible_engineers(wo: WorkOrder) -> list[Verdict]:
    """Each candidate engineer's eligibility for the work order, with reasons; eligible first."""
    return Batch([wo]).verdicts(wo)


def _chunks(items: Iterable[Work], size: int) -> Iterator[list[Work]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def evaluate_many(work_orders: Iterable[Work], now: dt.datetime | None = None, *, chunk: int = CHUNK) -> dict[int, Readiness]:
    """Readiness of many work orders by id, loaded per chunk (not per row); for recompute and the benchmark.

    People are checked until the first eligible engineer (PeopleFacts.eligible is then 0 or 1).
    Pass `work_rows(queryset)` (fastest), a queryset `.only(*READ_FIELDS)` or model instances.
    """
    at = now or clock.now()
    out: dict[int, Readiness] = {}
    for batch_rows in _chunks(work_orders, chunk):
        batch = Batch(batch_rows, everyone=False)
        with no_cycle_collection():
            for wo in batch_rows:
                out[wo.pk] = rules.evaluate(batch.inputs(wo, exhaustive=False), at)
    return out


def evaluate_ids(ids: list[int], now: dt.datetime | None = None, *, chunk: int = CHUNK) -> dict[int, Readiness]:
    """`evaluate_many` for work orders by id: each chunk's rows read by primary key, then judged."""
    at = now or clock.now()
    out: dict[int, Readiness] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with no_cycle_collection():  # reading the rows as well as judging them
            rows = list(work_rows(WorkOrder.objects.filter(id__in=id_list(part)), chunk))
        out.update(evaluate_many(rows, at, chunk=chunk))
    return out


def as_json(result: Readiness) -> dict[str, Any]:
    """The API shape: {"ready", "at_risk", "next_needed_by", "notes", "blockers": [{"key", "kind", "detail", "owner", "needed_by", "rule", "overridden"}]}."""
    return {
        "ready": result.ready,
        "at_risk": result.at_risk,
        "next_needed_by": result.next_needed_by.isoformat() if result.next_needed_by else None,
        "notes": list(result.notes),
        "blockers": [
            {
                "key": b.key, "kind": b.kind, "detail": b.detail, "owner": b.owner,
                "needed_by": b.needed_by.isoformat() if b.needed_by else None, "rule": b.rule,
                "overridden": b.overridden,
            }
            for b in result.blockers
        ],
    }
