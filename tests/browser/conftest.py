"""Playwright driving the system Chromium against pytest-django's live server.

The bundled Playwright browsers are not downloaded; /usr/bin/chromium (Debian package) is used.
A failed test leaves a full-page screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the (synchronous) database calls the fixtures make alongside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")
# What Chromium writes to the console when the Content-Security-Policy blocks something.
CSP_MARKS = ("Content Security Policy", "Refused to")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless system Chromium for the session."""
    # A missing browser is a broken test environment, never a reason to skip.
    from playwright import sync_api

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed (make test installs it: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot is saved if the test body failed.

    Console messages and page errors are collected; a test whose page reported a
    Content-Security-Policy violation fails after its body, even if the body passed.
    """
    with tempfile.TemporaryDirectory(prefix="opsdesk-browser-"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(15_000)
        pg = context.new_page()
        messages: list[str] = []
        pg.on("console", lambda message: messages.append(f"console.{message.type}: {message.text}"))
        pg.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        pg.console_messages = messages  # the test body may read them too
        yield pg
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-120:]
            pg.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
        context.close()
        violations = [text for text in messages if any(mark in text for mark in CSP_MARKS)]
        if violations:
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def sign_in(live_server: Any) -> Any:
    """sign_in(page, username, password): log in through the login form."""

    def do(pg: Any, username: str, password: str) -> None:
        pg.goto(f"{live_server.url}/login/")
        pg.fill("#id_username", username)
        pg.fill("#id_password", password)
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{live_server.url}/")

    return do
