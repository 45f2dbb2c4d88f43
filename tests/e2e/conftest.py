"""End-to-end tests run real processes; when one fails, their logs are kept in test-artifacts/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def process_logs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """The directory the test's processes log into (tmp_path); on failure its *.log files are copied
    to test-artifacts/FAILED-<test>-<name>.log and their ends printed (shown in pytest's report)."""
    yield tmp_path
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-100:]
    for log in sorted(tmp_path.glob("*.log")):
        shutil.copy(log, ARTIFACTS / f"FAILED-{test}-{log.name}")
        text = log.read_text(errors="replace")
        print(f"\n----- {log.name} (last 6000 characters; all of it in test-artifacts/) -----\n{text[-6000:]}")
