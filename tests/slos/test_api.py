"""SLO API: SLOs for administrators, read by their client's users, measurements by SLI key alone,
reports, budget history, synthetic checks; bad input is a 4xx problem and changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from opsdesk.core import clock
from opsdesk.core.models import Activity
from opsdesk.slos.models import SliBucket, Slo, SyntheticCheck
from tests import factories as f
from tests.slos.factories import MIN, NOW, make_slo, minutes, write

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def w():
    client, other = f.make_client(name="Northgate"), f.make_client(name="Atlas")
    service = f.make_service(client, name="EPR", code="epr")
    return {"client": client, "other": other, "service": service, "other_service": f.make_service(other),
            "client_user": f.make_user("client", client=client), "other_user": f.make_user("client", client=other)}


def _create(api, body):
    with clock.frozen(NOW):
        return api.post("slos", body)


def _iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_admin_creates_an_slo_and_gets_its_key_once_stored_hashed(w, admin_api):
    r = _create(admin_api, {"service": w["service"].pk, "name": "EPR availability", "kind": "availability",
                            "objective": 0.999, "window_days": 28})
    assert r.status_code == 201, r.content
    body = r.json()
    key = body["key"]
    assert key.startswith("osk_") and body["key_prefix"] == key[:12]
    assert (body["service"], body["client"], body["service_name"]) == (w["service"].pk, w["client"].pk, "EPR")
    assert (body["kind"], body["objective"], body["window_days"], body["firing"]) == ("availability", 0.999, 28, {})
    slo = Slo.objects.get(pk=body["id"])
    assert slo.key_hash == hashlib.sha256(key.encode()).hexdigest()
    # The raw key is nowhere in the database: not in the SLO's row, not on its timeline.
    assert key not in str(list(Slo.objects.values_list()))
    assert key not in str(list(Activity.objects.values_list()))
    assert Activity.objects.filter(object_id=slo.pk, verb="created").exists()
    # Later reads never show it.
    again = admin_api.get(f"slos/{slo.pk}").json()
    assert "key" not in again and again["key_prefix"] == key[:12]


def test_latency_slo_needs_a_threshold_and_availability_refuses_one(w, admin_api):
    ok = _create(admin_api, {"service": w["service"].pk, "name": "EPR latency", "kind": "latency",
                             "objective": 0.95, "latency_threshold_ms": 800})
    assert ok.status_code == 201 and ok.json()["latency_threshold_ms"] == 800


@pytest.mark.parametrize(("change", "field"), [
    ({"objective": 1}, "objective"),
    ({"objective": 0}, "objective"),
    ({"objective": 1.5}, "objective"),
    ({"window_days": 0}, "window_days"),
    ({"window_days": 91}, "window_days"),
    ({"kind": "latency"}, "latency_threshold_ms"),
    ({"latency_threshold_ms": 300}, "latency_threshold_ms"),
    ({"kind": "throughput"}, "kind"),
    ({"service": 99999999}, "service"),
    ({"name": ""}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_slo_input_is_a_problem_and_writes_nothing(w, admin_api, change, field):
    before = Activity.objects.count()
    body = {"service": w["service"].pk, "name": "EPR availability", "kind": "availability", "objective": 0.999, **change}
    r = _create(admin_api, body)
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == PROBLEM
    assert field in {e["field"] for e in r.json()["errors"]}
    assert Slo.objects.count() == 0 and Activity.objects.count() == before


def test_same_name_on_a_service_is_a_conflict(w, admin_api):
    make_slo(w["service"], name="EPR availability")
    r = _create(admin_api, {"service": w["service"].pk, "name": "EPR availability", "kind": "availability",
                            "objective": 0.99})
    assert r.status_code == 409 and r["Content-Type"] == PROBLEM
    assert Slo.objects.count() == 1


def test_only_administrators_write(w, api_for):
    slo, _ = make_slo(w["service"])
    body = {"service": w["service"].pk, "name": "x", "kind": "availability", "objective": 0.99}
    for user in (w["client_user"], f.make_user("service_desk")):
        api = api_for(user)
        assert api.post("slos", body).status_code == 403
        assert api.patch(f"slos/{slo.pk}", {"objective": 0.5}).status_code == 403
        assert api.post(f"slos/{slo.pk}/rotate-key").status_code == 403
    slo.refresh_from_db()
    assert slo.objective == 0.999 and Slo.objects.count() == 1


def test_measurements_by_key_alone_are_recorded_and_a_retry_replaces(w, anon_api):
    slo, key = make_slo(w["service"])
    buckets = [{"start": _iso(NOW - 3 * MIN), "seconds": 60, "good": 990, "total": 1000},
               {"start": _iso(NOW - 2 * MIN), "good": 1000, "total": 1000}]
    with clock.frozen(NOW):
        r = anon_api.post(f"slis/{key}/measurements", {"buckets": buckets})
        assert r.status_code == 202, r.content
        assert r.json() == {"slo": slo.pk, "written": 2, "replaced": 0}
        again = anon_api.post(f"slis/{key}/measurements", {"buckets": buckets})
    assert again.json() == {"slo": slo.pk, "written": 2, "replaced": 2}
    rows = list(SliBucket.objects.filter(slo=slo).order_by("start_at").values_list("start_at", "seconds", "good", "valid"))
    assert rows == [(NOW - 3 * MIN, 60, 990, 1000), (NOW - 2 * MIN, 60, 1000, 1000)]
    # A corrected count for the same start replaces the earlier one.
    with clock.frozen(NOW):
        anon_api.post(f"slis/{key}/measurements", {"buckets": [{"start": _iso(NOW - 3 * MIN), "good": 500, "total": 1000}]})
    assert SliBucket.objects.get(slo=slo, start_at=NOW - 3 * MIN).good == 500


@pytest.mark.parametrize(("bad", "field"), [
    ({"good": 11, "total": 10}, "buckets[1].good"),
    ({"start": _iso(NOW + dt.timedelta(hours=1))}, "buckets[1].start"),
    ({"start": _iso(NOW - dt.timedelta(days=29))}, "buckets[1].start"),
    ({"start": _iso(NOW - 3 * MIN)}, "buckets[1].start"),  # the same start twice in one batch
    ({"seconds": 0}, "buckets.1.seconds"),
    ({"seconds": 3601}, "buckets.1.seconds"),
    ({"good": -1}, "buckets.1.good"),
    ({"start": "2030-05-20T11:00:00"}, "buckets.1.start"),  # no offset
    ({"total": 2**63}, "buckets.1.total"),
])
def test_a_bad_bucket_refuses_the_batch_naming_it_and_writes_nothing(w, anon_api, bad, field):
    _slo, key = make_slo(w["service"])
    buckets = [{"start": _iso(NOW - 3 * MIN), "good": 10, "total": 10},
               {"start": _iso(NOW - 2 * MIN), "good": 10, "total": 10, **bad}]
    with clock.frozen(NOW):
        r = anon_api.post(f"slis/{key}/measurements", {"buckets": buckets})
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == PROBLEM
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert not SliBucket.objects.exists()


def test_too_many_or_no_buckets_are_refused(w, anon_api):
    _slo, key = make_slo(w["service"])
    many = [{"start": _iso(NOW - dt.timedelta(seconds=i)), "seconds": 1, "good": 1, "total": 1} for i in range(1001)]
    with clock.frozen(NOW):
        assert anon_api.post(f"slis/{key}/measurements", {"buckets": many}).status_code == 422
        assert anon_api.post(f"slis/{key}/measurements", {"buckets": []}).status_code == 422
        assert anon_api.post(f"slis/{key}/measurements", raw="not json").status_code == 400
        assert anon_api.post(f"slis/{key}/measurements", {"buckets": many[:1000]}).status_code == 202
    assert SliBucket.objects.count() == 1000


def test_unknown_rotated_or_inactive_keys_are_404(w, anon_api, admin_api):
    slo, key = make_slo(w["service"])
    body = {"buckets": [{"start": _iso(NOW - MIN), "good": 1, "total": 1}]}
    with clock.frozen(NOW):
        r = anon_api.post("slis/osk_nope/measurements", body)
        assert r.status_code == 404 and r["Content-Type"] == PROBLEM
        rotated = admin_api.post(f"slos/{slo.pk}/rotate-key")
        assert rotated.status_code == 200
        new_key = rotated.json()["key"]
        assert new_key != key
        assert anon_api.post(f"slis/{key}/measurements", body).status_code == 404
        assert anon_api.post(f"slis/{new_key}/measurements", body).status_code == 202
        assert admin_api.patch(f"slos/{slo.pk}", {"active": False}).status_code == 200
        assert anon_api.post(f"slis/{new_key}/measurements", body).status_code == 404
    assert SliBucket.objects.count() == 1


def test_get_includes_the_report_with_burn_rates(w, admin_api):
    slo, _ = make_slo(w["service"])
    # An hour of 1,000 requests a minute: 55 good minutes, then 5 minutes at 10 % errors.
    write(slo, minutes(NOW - 60 * MIN, 55, 1000) + minutes(NOW - 5 * MIN, 5, 900))
    with clock.frozen(NOW):
        body = admin_api.get(f"slos/{slo.pk}").json()
    report = body["report"]
    assert report["valid"] == 60000 and report["good"] == 59500
    assert report["attainment"] == pytest.approx(59500 / 60000)
    # 500 bad of 60,000 with a budget of 0.1 %: 60 allowed, 500 spent -> 1 - 500/60.
    assert report["budget_remaining"] == pytest.approx(1 - 500 / 60)
    rules = {r["name"]: r for r in report["rules"]}
    assert rules["page-fast"]["long_rate"] == pytest.approx(500 / 60000 / 0.001)  # 8.33x < 14.4
    assert rules["page-fast"]["short_rate"] == pytest.approx(100.0)
    assert rules["page-fast"]["firing"] is False
    assert rules["page-slow"]["firing"] is True and rules["ticket"]["firing"] is True
    assert report["firing"] == ["page-slow", "ticket"] and report["met"] is False


def test_budget_history_has_the_points_asked(w, admin_api):
    slo, _ = make_slo(w["service"], window_days=1)
    write(slo, minutes(NOW - 60 * MIN, 60, 990))
    with clock.frozen(NOW):
        r = admin_api.get(f"slos/{slo.pk}/budget-history", points=5)
        assert admin_api.get(f"slos/{slo.pk}/budget-history", points=1).status_code == 422
    points = r.json()["points"]
    assert len(points) == 5
    assert points[0]["budget_remaining"] == 1.0 and points[-1]["budget_remaining"] == pytest.approx(1 - 600 / 60)
    assert points[-1]["burn_rate_1h"] == pytest.approx(10.0)


def test_patch_changes_and_validates_together(w, admin_api):
    slo, _ = make_slo(w["service"])
    r = admin_api.patch(f"slos/{slo.pk}", {"objective": 0.995, "name": "EPR avail"})
    assert r.status_code == 200 and (r.json()["objective"], r.json()["name"]) == (0.995, "EPR avail")
    assert Activity.objects.filter(object_id=slo.pk, verb="updated").exists()
    assert admin_api.patch(f"slos/{slo.pk}", {"latency_threshold_ms": 500}).status_code == 422
    assert admin_api.patch(f"slos/{slo.pk}", {"kind": "latency"}).status_code == 422
    assert admin_api.patch(f"slos/{slo.pk}", {"objective": None}).status_code == 422
    slo.refresh_from_db()
    assert (slo.objective, slo.latency_threshold_ms, slo.kind) == (0.995, None, "availability")


def test_client_users_read_only_their_own_clients_slos(w, api_for):
    own, _ = make_slo(w["service"])
    theirs, _ = make_slo(w["other_service"])
    mine = api_for(w["client_user"])
    assert {s["id"] for s in mine.get("slos").json()["items"]} == {own.pk}
    assert mine.get("slos", client=w["other"].pk).json()["count"] == 0
    with clock.frozen(NOW):
        assert mine.get(f"slos/{own.pk}").status_code == 200
        for path in (f"slos/{theirs.pk}", f"slos/{theirs.pk}/budget-history", f"slos/{theirs.pk}/timeline"):
            r = mine.get(path)
            assert r.status_code == 404 and r["Content-Type"] == PROBLEM, path
        assert mine.patch(f"slos/{theirs.pk}", {"name": "x"}).status_code == 404
        assert mine.post(f"slos/{theirs.pk}/rotate-key").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name.startswith("SLO ")


def test_list_uses_a_bounded_number_of_queries(w, admin_api, django_assert_max_num_queries, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the checks' loopback URL (SSRF guard)
    for i in range(8):
        make_slo(f.make_service(w["client"]), name=f"SLO {i}")
    with django_assert_max_num_queries(8):
        r = admin_api.get("slos", limit=50)
    assert r.json()["count"] == 8
    for i in range(3):
        admin_api.post("synthetic-checks", {"service": w["service"].pk, "name": f"c{i}", "url": "http://127.0.0.1:9/"})
    with django_assert_max_num_queries(8):
        assert admin_api.get("synthetic-checks").json()["count"] == 3


# --- synthetic checks ------------------------------------------------------------------------------


def test_synthetic_checks_are_created_validated_and_changed(w, admin_api):
    avail, _ = make_slo(w["service"])
    latency, _ = make_slo(w["service"], kind="latency")
    foreign, _ = make_slo(w["other_service"])
    base = {"service": w["service"].pk, "name": "EPR login page", "url": "https://epr.example.net/login"}
    bad = [({"url": "ftp://epr.example.net/"}, "url"), ({"url": "javascript:alert(1)"}, "url"),
           ({"url": "http:///nohost"}, "url"), ({"url": "http://a b/"}, "url"),
           ({"interval_seconds": 10}, "interval_seconds"), ({"timeout_seconds": 11}, "timeout_seconds"),
           ({"timeout_seconds": 0.1}, "timeout_seconds"), ({"availability_slo": latency.pk}, "availability_slo"),
           ({"latency_slo": avail.pk}, "latency_slo"), ({"availability_slo": foreign.pk}, "availability_slo"),
           ({"service": 99999999}, "service")]
    for change, field in bad:
        r = admin_api.post("synthetic-checks", {**base, **change})
        assert r.status_code == 422, (change, r.content)
        assert field in {e["field"] for e in r.json()["errors"]}, (change, r.json())
    assert not SyntheticCheck.objects.exists()
    with clock.frozen(NOW):
        r = admin_api.post("synthetic-checks", {**base, "availability_slo": avail.pk, "latency_slo": latency.pk,
                                                "timeout_seconds": 2})
    assert r.status_code == 201, r.content
    check = r.json()
    assert (check["availability_slo"], check["latency_slo"], check["interval_seconds"]) == (avail.pk, latency.pk, 60)
    assert check["next_run_at"].startswith("2030-05-20T12:00:00")
    r = admin_api.patch(f"synthetic-checks/{check['id']}", {"interval_seconds": 300, "latency_slo": None})
    assert r.status_code == 200 and (r.json()["interval_seconds"], r.json()["latency_slo"]) == (300, None)
    assert admin_api.patch(f"synthetic-checks/{check['id']}", {"url": "file:///etc/passwd"}).status_code == 422
    assert SyntheticCheck.objects.get().url == "https://epr.example.net/login"
    assert admin_api.get(f"synthetic-checks/{check['id']}/results").json() == {"items": [], "count": 0}


def test_client_users_see_only_their_own_checks(w, admin_api, api_for):
    theirs = admin_api.post("synthetic-checks", {"service": w["other_service"].pk, "name": "Atlas home",
                                                 "url": "http://atlas.example.net/"}).json()
    mine = api_for(w["client_user"])
    assert mine.get("synthetic-checks").json()["count"] == 0
    for path in (f"synthetic-checks/{theirs['id']}", f"synthetic-checks/{theirs['id']}/results"):
        assert mine.get(path).status_code == 404
    assert mine.patch(f"synthetic-checks/{theirs['id']}", {"name": "x"}).status_code == 404
    assert api_for(w["other_user"]).get(f"synthetic-checks/{theirs['id']}").status_code == 200
    assert api_for(w["other_user"]).post("synthetic-checks", {"service": w["other_service"].pk, "name": "x",
                                                             "url": "http://x.example/"}).status_code == 403


def test_senders_need_no_session_nor_csrf_token(w):
    import json

    from django.test import Client

    _slo, key = make_slo(w["service"])
    sender = Client(enforce_csrf_checks=True)
    body = json.dumps({"buckets": [{"start": _iso(NOW - MIN), "good": 1, "total": 1}]})
    with clock.frozen(NOW):
        r = sender.post(f"/api/v1/slis/{key}/measurements", body, content_type="application/json")
    assert r.status_code == 202, r.content
