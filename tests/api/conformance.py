"""Which documented status each real API answer had: the measure of the OpenAPI document.

`undocumented(answers, doc)` lists the answers (method, path, status) whose operation does not
document that status; used by the tests here, and as a pytest plugin over any test run:

    pytest -p tests.api.conformance tests/*/test_api.py

records every answer the Django test client gets from /api/v1/ and fails the session, naming
them, if any status is undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PREFIX = "/api/v1/"
_recorded: list[tuple[str, str, int]] = []


def document() -> dict[str, Any]:
    """The API's OpenAPI document as served."""
    import opsdesk.urls  # noqa: F401  (attaches the routers)
    from opsdesk.core.api import api

    return dict(api.get_openapi_schema(path_prefix=PREFIX.lstrip("/")))


def _templates(doc: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for path in doc["paths"]:
        pattern = re.escape(path)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        out.append((re.compile(f"^{pattern}$"), path))
    # Literal paths before templated ones: /changes/failure-rate is not /changes/{obj_id}.
    out.sort(key=lambda pair: pair[1].count("{"))
    return out


def operation_for(doc: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The documented operation that serves `method path`, or None."""
    for pattern, template in _templates(doc):
        if pattern.match(path) and method.lower() in doc["paths"][template]:
            return doc["paths"][template][method.lower()]
    return None


def undocumented(answers: Iterable[tuple[str, str, int]], doc: dict[str, Any]) -> list[str]:
    """The answers whose status their operation does not document, once each."""
    missing = set()
    for method, path, status in answers:
        operation = operation_for(doc, method, path)
        if operation is None:
            continue  # no such route: the API's 404 for unknown URLs, not an operation's answer
        if str(status) not in {str(code) for code in operation["responses"]}:
            missing.add(f"{method} {path} -> {status} ({operation['operationId']})")
    return sorted(missing)


def pytest_configure(config: Any) -> None:
    from django.test import Client

    original = Client.request

    def request(self: Client, **environ: Any) -> Any:
        response = original(self, **environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX) and not path.endswith("openapi.json"):
            _recorded.append((environ["REQUEST_METHOD"], path, response.status_code))
        return response

    Client.request = request  # type: ignore[method-assign]


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if not _recorded:
        return
    missing = undocumented(_recorded, document())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    by_op: dict[str, int] = {}
    for line in missing:
        op = line.rsplit("(", 1)[1].rstrip(")") + " " + line.split(" -> ")[1].split(" ")[0]
        by_op[op] = by_op.get(op, 0) + 1
    if reporter:
        reporter.write_line(f"API answers recorded: {len(_recorded)}; undocumented statuses: {len(missing)}")
        for line in missing:
            reporter.write_line(f"  undocumented: {line}")
        reporter.write_line(f"operations x status undocumented: {len(by_op)}")
    if missing:
        session.exitstatus = 1
