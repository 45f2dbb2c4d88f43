"""Down and degraded time per service and per client (interval unions of failing buckets), by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.slos import queries as slo_queries
from opsdesk.slos.queries import merge, subtract
from tests import factories as f
from tests.slos.factories import make_slo, minutes, write

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2030, 5, 20, 9, 0, tzinfo=dt.UTC)
END = T0 + dt.timedelta(hours=1)
LATER = T0 + dt.timedelta(hours=2)


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


@pytest.fixture
def w():
    northgate, atlas = f.make_client(name="Northgate"), f.make_client(name="Atlas")
    epr, pacs = f.make_service(northgate, name="EPR"), f.make_service(northgate, name="PACS")
    billing = f.make_service(atlas, name="Billing")
    epr_avail, _ = make_slo(epr, objective=0.99)
    epr_latency, _ = make_slo(epr, kind="latency", objective=0.95)
    pacs_latency, _ = make_slo(pacs, kind="latency", objective=0.95)
    billing_avail, _ = make_slo(billing, objective=0.99)
    # EPR availability is down in minutes 10-19 (30 %: most requests fail), in a 5-minute bucket inside them
    # (counted once), in a 2-minute bucket from minute 19.5 (to 21.5), and in a minute starting 30 s
    # before the period (30 s of it inside); it passes otherwise, and an empty bucket fails nothing.
    write(epr_avail, minutes(at(0), 10, 1000) + minutes(at(10), 10, 300) + minutes(at(21), 39, 995)
          + [{"start": at(12.5), "seconds": 300, "good": 0, "total": 10},
             {"start": at(19.5), "seconds": 120, "good": 0, "total": 10},
             {"start": at(-0.5), "seconds": 60, "good": 0, "total": 10},
             {"start": at(40.5), "seconds": 60, "good": 0, "total": 0}], now=LATER)
    # EPR latency fails in minutes 15-29 (80 % < 95 %): degraded only where it is not down (21.5-30).
    write(epr_latency, minutes(at(15), 15, 800) + minutes(at(30), 30, 990), now=LATER)
    # PACS has no availability SLO: its latency misses in minutes 0-4 are degraded time.
    write(pacs_latency, minutes(at(0), 5, 10, 100), now=LATER)
    # Billing (another client) is down in minutes 20-24; a failing bucket after the period does not count;
    # minutes 30-34 miss the objective (97 % < 99 %) but the service was available: not down.
    write(billing_avail, minutes(at(20), 5, 0, 10) + minutes(at(60), 5, 0, 10) + minutes(at(30), 5, 970),
          now=LATER)
    return {"northgate": northgate, "atlas": atlas, "epr": epr, "pacs": pacs, "billing": billing,
            "client_user": f.make_user("client", client=northgate)}


def test_interval_union_and_difference():
    assert merge([(5, 10), (0, 3), (3, 4), (9, 12), (20, 20)]) == [(0, 4), (5, 12)]
    assert subtract([(0, 10), (20, 30)], [(2, 4), (8, 22), (29, 40)]) == [(0, 2), (4, 8), (22, 29)]
    assert subtract([(0, 10)], []) == [(0, 10)]


def test_down_and_degraded_per_service_and_per_client(w):
    report = slo_queries.downtime(slo_queries.list_downtime_slos(f.make_user("admin")), T0, END)
    services = {s.name: (s.down_seconds, s.degraded_seconds) for s in report.services}
    # EPR down: [0, 0.5) min and [10, 21.5) min = 30 + 690 s; degraded: latency [15, 30) minus down = [21.5, 30).
    assert services["EPR"] == (720, 510)
    assert services["PACS"] == (0, 300)
    assert services["Billing"] == (300, 0)
    clients = {c.name: (c.down_seconds, c.degraded_seconds) for c in report.clients}
    # Northgate down when any of its services is: EPR's 720 s. Degraded: EPR's [21.5, 30) and PACS's
    # [0, 5) min, less the 30 s EPR was down: 510 + 270.
    assert clients == {"Northgate": (720, 780), "Atlas": (300, 0)}


def test_the_api_answers_per_service_and_client_within_the_viewers_scope(w, admin_api, api_for,
                                                                        django_assert_max_num_queries):
    params = {"start": T0.isoformat(), "end": END.isoformat()}
    with clock.frozen(LATER), django_assert_max_num_queries(6):  # auth, the SLOs, their buckets
        body = admin_api.get("slos/downtime", **params).json()
    with clock.frozen(LATER):
        assert {c["name"] for c in body["clients"]} == {"Northgate", "Atlas"}
        only_atlas = admin_api.get("slos/downtime", client=w["atlas"].pk, **params).json()
        assert [(s["name"], s["down_seconds"]) for s in only_atlas["services"]] == [("Billing", 300)]
        mine = api_for(w["client_user"]).get("slos/downtime", **params).json()
        assert {s["name"] for s in mine["services"]} == {"EPR", "PACS"}
        assert mine["clients"] == [{"id": w["northgate"].pk, "name": "Northgate", "client": w["northgate"].pk,
                                    "down_seconds": 720, "degraded_seconds": 780}]
        assert api_for(w["client_user"]).get("slos/downtime", client=w["atlas"].pk, **params).json()["services"] == []


@pytest.mark.parametrize("params", [
    {"start": END.isoformat(), "end": T0.isoformat()},
    {"start": (T0 - dt.timedelta(days=500)).isoformat(), "end": T0.isoformat()},
    {"start": "2030-05-20T09:00:00"},
    {"start": "yesterday"},
])
def test_bad_periods_are_422(w, admin_api, params):
    r = admin_api.get("slos/downtime", **params)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
