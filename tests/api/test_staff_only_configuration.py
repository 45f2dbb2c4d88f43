"""Client users see their integrations', SLOs' and synthetic checks' existence, not their configuration."""

from __future__ import annotations

import json

import pytest

from opsdesk.alerts import services as alert_services
from tests import factories as f
from tests.slos.factories import make_slo

pytestmark = pytest.mark.django_db

INTEGRATION_CONFIG = {"key_prefix", "signature_header", "timestamp_header", "rules", "url", "flap_threshold",
                      "flap_window_minutes", "group_window_minutes", "reopen_window_minutes", "default_service",
                      "default_site", "owner"}
SLO_CONFIG = {"key_prefix", "alerting", "firing"}
CHECK_CONFIG = {"url", "fail_status_from", "interval_seconds", "timeout_seconds", "next_run_at"}


@pytest.fixture
def w(admin_api, admin_user):
    client = f.make_client(name="Northgate")
    service = f.make_service(client, name="EPR", code="epr")
    # Made through the service: POST /integrations' own 500s are another part of issue 16.
    made, _raw = alert_services.create_integration({
        "name": "Northgate AM", "kind": "grafana", "client": client.pk, "signature_header": "X-Grafana-Sig",
        "rules": [{"label": "job", "operator": "=", "value": "epr-secret-job", "service": service.pk}],
    }, actor=admin_user)
    integration = admin_api.get(f"integrations/{made.pk}")
    assert integration.status_code == 200, integration.content
    slo, _key = make_slo(service)
    check = admin_api.post("synthetic-checks", {"service": service.pk, "name": "EPR login",
                                                "url": "https://epr-internal.example.net/login"})
    assert check.status_code == 201, check.content
    return {"client": client, "integration": integration.json(), "slo": slo, "check": check.json(),
            "user": f.make_user("client", client=client)}


def test_client_users_get_the_brief_integration(w, api_for, admin_api):
    mine = api_for(w["user"])
    listed = mine.get("integrations").json()["items"]
    one = mine.get(f"integrations/{w['integration']['id']}").json()
    for item in (listed[0], one):
        assert set(item) == {"id", "name", "kind", "client", "active", "created_at"}
        assert not INTEGRATION_CONFIG & set(item)
        assert w["integration"]["key_prefix"] not in json.dumps(item)
        assert "epr-secret-job" not in json.dumps(item) and "X-Grafana-Sig" not in json.dumps(item)
    staff = admin_api.get(f"integrations/{w['integration']['id']}").json()
    assert set(staff) >= INTEGRATION_CONFIG
    assert staff["signature_header"] == "X-Grafana-Sig" and staff["rules"][0]["value"] == "epr-secret-job"
    assert set(admin_api.get("integrations").json()["items"][0]) >= INTEGRATION_CONFIG


def test_client_users_get_the_brief_slo_with_attainment(w, api_for, admin_api):
    mine = api_for(w["user"])
    listed = mine.get("slos").json()["items"][0]
    one = mine.get(f"slos/{w['slo'].pk}").json()
    for item in (listed, one):
        assert not SLO_CONFIG & set(item)
        assert {"name", "kind", "objective", "window_days", "service_name"} <= set(item)
        assert w["slo"].key_prefix not in json.dumps(item)
    assert set(one["report"]) == {"now", "good", "valid", "attainment", "met", "budget_remaining"}
    staff = admin_api.get(f"slos/{w['slo'].pk}").json()
    assert set(staff) >= SLO_CONFIG and staff["key_prefix"] == w["slo"].key_prefix
    assert "rules" in staff["report"]
    assert set(admin_api.get("slos").json()["items"][0]) >= SLO_CONFIG


def test_client_users_get_the_brief_synthetic_check(w, api_for, admin_api):
    mine = api_for(w["user"])
    for item in (mine.get("synthetic-checks").json()["items"][0], mine.get(f"synthetic-checks/{w['check']['id']}").json()):
        assert not CHECK_CONFIG & set(item)
        assert "epr-internal" not in json.dumps(item)
        assert {"id", "name", "service", "active"} <= set(item)
    assert admin_api.get(f"synthetic-checks/{w['check']['id']}").json()["url"] == "https://epr-internal.example.net/login"


def _union(doc, schema):
    """The members of an anyOf, through a named alias's $ref (IntegrationView -> Out | Brief)."""
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {s["$ref"].rsplit("/", 1)[1] for s in schema["anyOf"]}


def test_the_document_shows_both_shapes(admin_api):
    doc = json.loads(admin_api.get("/api/v1/openapi.json").content)
    ok = lambda path: doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]  # noqa: E731
    assert _union(doc, ok("/api/v1/integrations/{obj_id}")) == {"IntegrationOut", "IntegrationBrief"}
    assert _union(doc, ok("/api/v1/slos/{slo_id}")) == {"SloDetailOut", "SloDetailBrief"}
    # Each paged list documents its own items (they once shared one 'PagedAnnotated' component).
    for path, members in [("/api/v1/integrations", {"IntegrationOut", "IntegrationBrief"}),
                          ("/api/v1/slos", {"SloOut", "SloBrief"}),
                          ("/api/v1/synthetic-checks", {"CheckOut", "CheckBrief"})]:
        page = doc["components"]["schemas"][ok(path)["$ref"].rsplit("/", 1)[1]]
        assert _union(doc, page["properties"]["items"]["items"]) == members, path


def test_slo_page_hides_check_urls_and_burn_rate_rules_from_client_users(w, client, admin_user):
    client.force_login(w["user"])
    page = client.get(f"/slos/{w['slo'].pk}/").content.decode()
    assert w["slo"].name in page
    assert "epr-internal.example.net" not in page
    assert w["slo"].key_prefix not in page
    assert 'data-testid="slo-rules"' not in page
    client.force_login(admin_user)
    staff_page = client.get(f"/slos/{w['slo'].pk}/").content.decode()
    assert "epr-internal.example.net" in staff_page and 'data-testid="slo-rules"' in staff_page


def test_integration_pages_stay_staff_only(w, client):
    client.force_login(w["user"])
    assert client.get("/alerts/integrations/").status_code == 404
    assert client.get(f"/alerts/integrations/{w['integration']['id']}/").status_code == 404
