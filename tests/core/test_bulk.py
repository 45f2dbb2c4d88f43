"""core.bulk: a table's secondary indexes dropped around a bulk load and built again as they were."""

from __future__ import annotations

import pytest
from django.db import connection

from opsdesk.core.bulk import secondary_indexes, without_indexes
from opsdesk.workorders.models import Arrangement, WorkOrder

pytestmark = pytest.mark.django_db


def _all_index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name for name, c in found.items() if c["index"]}


def test_secondary_indexes_are_dropped_for_the_block_and_recreated_as_they_were():
    before = secondary_indexes(WorkOrder)
    assert "wo_queue" in before and "wo_queue_blocked" in before
    assert not any("UNIQUE" in sql.upper().split("INDEX")[0] for sql in before.values())
    unique_arrangement = _all_index_names(Arrangement._meta.db_table) - set(secondary_indexes(Arrangement))
    with without_indexes(WorkOrder, Arrangement):
        assert secondary_indexes(WorkOrder) == {}
        assert secondary_indexes(Arrangement) == {}
        # Unique indexes (and primary keys) stay: they guard the rows being loaded.
        assert unique_arrangement <= _all_index_names(Arrangement._meta.db_table)
    assert secondary_indexes(WorkOrder) == before

