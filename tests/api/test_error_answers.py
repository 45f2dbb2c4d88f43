"""Every operation documents its error answers, and the answers real requests get are documented.

The document half reads each operation's security, parameters and body; the measure half sends
real requests that are refused (no credentials, a read-only token, objects that do not exist,
invalid input) and fails on any status the operation does not document. The schemathesis fuzz
in test_fuzz.py checks the same with generated requests.
"""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

from tests import factories as f
from tests.api.conformance import undocumented
from tests.conftest import Api

pytestmark = pytest.mark.django_db
MISSING_ID = 987654321
# PagerDuty-compatible intake answers errors in PagerDuty's own shape (application/json {status,
# message, errors}), because its senders expect that; the document says so (alerts.intake.openapi).
PAGERDUTY_DIALECT = {"/v2/enqueue", "/v2/change/enqueue"}
PAGERDUTY_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/EventsV2Answer"}}}


def _intake(op) -> bool:
    """The alert and change-event intake: authenticated by an integration key, not a user, so no
    403 (no roles or scopes), and invalid deliveries are 400 (what senders drop), not 422."""
    return "intake" in op.get("tags", ())


@pytest.fixture
def doc(anon_api):
    r = anon_api.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return json.loads(r.content)


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_the_document_validates_and_defines_problem_details(doc):
    validate(doc)
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) >= {"type", "title", "status", "detail", "errors"}
    assert set(problem["properties"]["errors"]["items"]["properties"]) == {"field", "message"}
    for path, method, op in _operations(doc):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                expected = PAGERDUTY_ERROR if path in PAGERDUTY_DIALECT else {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                assert response["content"] == expected, f"{method} {path} {status}"


def test_every_operation_documents_the_answers_its_shape_implies(doc):
    wrong = []
    for path, method, op in _operations(doc):
        codes = set(op["responses"])
        params = {p["in"] for p in op.get("parameters", [])}
        needed = set()
        if op.get("security"):
            needed.add("401")
            if method != "get":
                needed.add("403")
        if "path" in params:
            needed.add("404")
        if params or "requestBody" in op:
            needed.add("422")
        if "requestBody" in op:
            needed |= {"400", "413"}
        if _intake(op):
            needed = ({"401", "404"} if op.get("security") or "path" in params else set()) | {"400", "413", "503"}
        if needed - codes:
            wrong.append(f"{method.upper()} {path} lacks {sorted(needed - codes)}")
    assert wrong == []


def test_feeds_and_measurement_intake_document_their_own_authentication(doc):
    # Authenticated by a token in the query or a key in the path, not by the API's schemes.
    assert {"401", "404", "422"} <= set(doc["paths"]["/api/v1/calendars/changes.ics"]["get"]["responses"])
    assert {"401", "404", "422"} <= set(doc["paths"]["/api/v1/calendars/windows.ics"]["get"]["responses"])
    assert {"404", "422", "400", "413"} <= set(doc["paths"]["/api/v1/slis/{key}/measurements"]["post"]["responses"])


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(MISSING_ID), path)


def _send(api: Api, method: str, path: str, body=None):
    if method == "get":
        return api.get(_url(path))
    if method == "delete":
        return api.delete(_url(path))
    return getattr(api, method)(_url(path), body if body is not None else {})


@pytest.fixture
def world(db):
    c = f.make_client()
    site = f.make_site(clients=[c])
    f.make_service(c, sites=[site])
    return c


def test_refused_requests_answer_only_documented_statuses(doc, world):
    """No credentials, a read-only token, a client user, missing objects and bad input, on every operation."""
    admin = f.make_user("admin")
    callers = {
        "anonymous": Api(None),
        "admin": Api(f.make_token(admin)),
        "read-only": Api(f.make_token(admin, ["read"])),
        "client user": Api(f.make_token(f.make_user("client", client=world))),
    }
    answers = []
    seen: dict[str, set[int]] = {}
    for path, method, op in _operations(doc):
        for who, api in callers.items():
            for body in ([None, {"no such field": 1}] if "requestBody" in op else [None]):
                r = _send(api, method, path, body)
                assert r.status_code < 500, f"{who}: {method.upper()} {path} -> {r.status_code}"
                answers.append((method.upper(), _url(path), r.status_code))
                seen.setdefault(f"{method} {path}", set()).add(r.status_code)
                if r.status_code >= 400:
                    expected = "application/json" if path in PAGERDUTY_DIALECT else "application/problem+json"
                    assert r["Content-Type"] == expected, f"{who}: {method} {path}"
        if op.get("security"):
            assert 401 in seen[f"{method} {path}"], f"{method} {path} without credentials"
        if "{" in path and "requestBody" not in op:
            assert 404 in seen[f"{method} {path}"], f"{method} {path} on a missing object"
    assert undocumented(answers, doc) == []
