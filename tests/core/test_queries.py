"""core.queries' bulk helpers: insert_rows (ids in order, values as Django would store them) and value_rows."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.alerts.models import Alert
from opsdesk.core import queries
from tests.alerts.factories import make_integration

pytestmark = pytest.mark.django_db

FIELDS = ("integration", "client", "key", "status", "severity", "summary", "source", "labels", "annotations", "details",
          "content_hash", "count", "first_seen_at", "last_seen_at", "started_at", "resolved_at", "state_changes",
          "flapping", "incident_id")


def _rows(integration, n: int, at: dt.datetime) -> list[list[object]]:
    return [
        [integration.pk, integration.client_id, f"k{i}", "resolved" if i % 2 else "firing", "warning", f"Alert «{i}»",
         "", {"job": "node", "n": i}, {}, {"nested": [1, {"x": None}]}, "", i + 1, at, at + dt.timedelta(seconds=i),
         at - dt.timedelta(minutes=1), at if i % 2 else None, [], bool(i % 3 == 0), None]
        for i in range(n)
    ]


def test_insert_rows_returns_the_ids_in_the_rows_order_over_several_statements():
    integration, _ = make_integration("alertmanager")
    at = dt.datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=dt.UTC)
    n = queries.PARAMETERS_PER_INSERT // len(FIELDS) * 2 + 7  # three statements
    ids = queries.insert_rows(Alert, FIELDS, _rows(integration, n, at))

    assert len(ids) == n and ids == sorted(ids) and len(set(ids)) == n
    stored = {a.pk: a for a in Alert.objects.filter(pk__in=ids)}
    for i in (0, 1, 433, n - 1):
        alert = stored[ids[i]]
        assert alert.key == f"k{i}" and alert.count == i + 1 and alert.summary == f"Alert «{i}»"
        assert alert.labels == {"job": "node", "n": i} and alert.details == {"nested": [1, {"x": None}]}
        assert alert.last_seen_at == at + dt.timedelta(seconds=i)
        assert alert.resolved_at == (at if i % 2 else None)
        assert alert.flapping is (i % 3 == 0) and alert.incident_id is None


def test_insert_rows_of_nothing_runs_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queries.insert_rows(Alert, FIELDS, []) == []


def test_value_rows_read_back_what_insert_rows_wrote():
    integration, _ = make_integration("alertmanager")
    at = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    ids = queries.insert_rows(Alert, FIELDS, _rows(integration, 3, at))
    rows = list(queries.value_rows(Alert.objects.filter(pk__in=queries.id_list(ids)).order_by("id"),
                                   "id", "labels", "first_seen_at", "resolved_at"))
    assert rows == [(ids[i], {"job": "node", "n": i}, at, at if i % 2 else None) for i in range(3)]
