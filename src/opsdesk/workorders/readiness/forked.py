"""Readiness of a bulk load's work orders judged in forked worker processes (ForkedEvaluation),
while the loader goes on writing."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from opsdesk.core import clock
from opsdesk.core.bulk import no_cycle_collection

from . import rules
from .batch import CHUNK, Batch, Work
from .rules import Readiness

# The batch the parent loaded, inherited by the forked workers.
_FORKED: tuple[Batch, Sequence[Work], dt.datetime, Callable[[Readiness], Any]] | None = None


def _evaluate_share(share: tuple[int, int]) -> list[tuple[int, Any]]:
    assert _FORKED is not None
    batch, rows, at, convert = _FORKED
    index, count = share
    with no_cycle_collection():
        return [(wo.pk, convert(rules.evaluate(batch.inputs(wo, exhaustive=False), at))) for wo in rows[index::count]]


def _same(result: Readiness) -> Readiness:
    return result


class ForkedEvaluation:
    """`queries.evaluate_many` for bulk loads, on `processes` cores, while the caller goes on working.

    Entering reads the facts once (inside the caller's transaction, so rows it has written but not
    committed count) and forks workers that judge their share of the rows in memory: they never
    touch the database, so the caller may keep writing (other rows) meanwhile. `results()` waits
    for them. Each result is passed through `convert` in the worker (what travels back pickled is
    what the caller stores, cheaper than a Readiness). With no worker `processes`, or fewer than
    `min_rows` rows, the rows are judged on entering, here. For loaders such as the large demo, not
    for request handling.
    """

    def __init__(
        self, rows: Sequence[Work], now: dt.datetime | None = None, *, processes: int = 0, min_rows: int = CHUNK,
        convert: Callable[[Readiness], Any] = _same,
    ) -> None:
        self.rows, self.at, self.processes, self.min_rows, self.convert = rows, now or clock.now(), processes, min_rows, convert
        self._pool: Pool | None = None
        self._pending: AsyncResult[list[list[tuple[int, Any]]]] | None = None
        self._done: dict[int, Any] | None = None

    def __enter__(self) -> ForkedEvaluation:
        global _FORKED
        batch = Batch(list(self.rows), everyone=False)
        if self.processes < 1 or len(self.rows) < self.min_rows:
            self._done = {
                wo.pk: self.convert(rules.evaluate(batch.inputs(wo, exhaustive=False), self.at)) for wo in self.rows
            }
            return self
        _FORKED = (batch, self.rows, self.at, self.convert)
        try:
            pool = self._pool = multiprocessing.get_context("fork").Pool(self.processes)  # workers inherit _FORKED
        finally:
            _FORKED = None
        self._pending = pool.map_async(_evaluate_share, [(i, self.processes) for i in range(self.processes)])
        return self

    def results(self) -> dict[int, Any]:
        """Each row's converted result by id (waits for the workers)."""
        if self._done is None:
            assert self._pending is not None, "call results() inside the with block"
            self._done = {pk: result for share in self._pending.get() for pk, result in share}
        return self._done

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
