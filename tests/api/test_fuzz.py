"""Property test of the whole API: generated requests, valid and invalid, never get a 5xx, and
every answer's status is one the operation documents (schemathesis' status_code_conformance).

Schemathesis reads our own OpenAPI document and generates, per operation, requests that fit
the schema (positive) and requests that do not (negative); the WSGI app answers in-process,
as an admin (who may call everything), against a database with a few real objects.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from tests import factories as f

MAX_EXAMPLES = 6
# PagerDuty-compatible intake paths answer errors in PagerDuty's own shape ({status, message,
# errors} as application/json, documented so), because PagerDuty's senders expect it: they are
# fuzzed like every operation, but not held to problem+json.
PAGERDUTY_DIALECT = frozenset({"/v2/enqueue", "/v2/change/enqueue"})


@pytest.fixture
def in_test_transaction():
    """Keep the test's connection open across requests, as Django's own test client does.

    Calling the WSGI app directly fires request_started/finished, whose
    close_old_connections would close the connection that holds the test transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_headers(db, in_test_transaction, settings) -> dict[str, str]:
    # Generated tokens fail by the hundred; locking the address out (429, documented) would keep
    # the admin's valid token from reaching every positive path after the first few.
    settings.AXES_FAILURE_LIMIT = 1_000_000
    admin = f.make_user("admin")
    c = f.make_client()
    site = f.make_site(clients=[c])
    f.make_requirement(site)
    f.make_service(c, sites=[site])
    f.give_skill(f.make_engineer(site.region), "fibre")
    return {"Authorization": f"Bearer {f.make_token(admin)}"}


def _operations():
    from opsdesk.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(fuzz_headers, mode):
    operations = _operations()
    assert len(operations) >= 30
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            # Its own savepoint, as each request has its own transaction in production: a
            # database error answered as a 4xx must not poison the requests after it.
            with transaction.atomic():
                response = case.call(headers=fuzz_headers)
            where = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"
            assert response.status_code < 500, f"{where} -> {response.status_code}: {response.text[:300]}"
            if response.status_code >= 400 and case.operation.path not in PAGERDUTY_DIALECT:
                headers = {k.lower(): v for k, v in response.headers.items()}
                value = headers.get("content-type", "")
                content_type = value[0] if isinstance(value, list) else value
                assert content_type.startswith("application/problem+json"), f"{where} -> {response.status_code} {content_type!r} {response.text[:200]}"
            case.validate_response(response, checks=[status_code_conformance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not only the first one's
            failures.append(f"{operation.label}: {str(exc).strip()[:600]}")
    assert failures == [], "\n\n".join(failures)
