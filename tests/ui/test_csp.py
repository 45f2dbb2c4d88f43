"""Every page carries the Content-Security-Policy and needs nothing it forbids: no inline script,
no on*= handler, no style="" attribute, no <style> element without the request's nonce.

The small demo is loaded once; each role's pages are crawled from home by following the links
(plus the admin and the API docs), so a new page is covered without being listed here.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client as HttpClient

from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.demo.context import work_now
from opsdesk.demo.dispatch_day import dispatch_day
from tests.demo.conftest import demo  # noqa: F401  (the module-scoped demo fixture)

pytestmark = pytest.mark.usefixtures("demo", "db")

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
SKIP = re.compile(r"^/(logout|static/|media/)|\.ics(\?|$)|/api/v1/(?!docs)|/admin/(logout|r/)|\.csv(\?|$)")
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}
PER_ROLE = 120  # pages crawled per user: every kind of page, a few of each


class _Inline(HTMLParser):
    """Collects the links and whatever the policy would refuse."""

    def __init__(self, nonce: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.links: list[str] = []
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f'<{tag} style="{a["style"]}">')
            if name in ("href", "src", "action") and (a[name] or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "script":
            executable = (a.get("type") or "").strip().lower() in JS_TYPES
            if executable and not a.get("src") and a.get("nonce") != self.nonce:
                self.problems.append("<script> without src (inline script)")
        if tag == "style" and (not self.nonce or a.get("nonce") != self.nonce):
            self.problems.append("<style> without the request's nonce")


def _policy(header: str) -> tuple[dict[str, str], str]:
    directives = dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    nonce = re.search(r"'nonce-([^']+)'", directives.get("style-src", ""))
    return directives, nonce.group(1) if nonce else ""


def _check(http: HttpClient, url: str) -> tuple[list[str], list[str]]:
    """(problems, links) of one page; the problems name the page."""
    response = http.get(url, follow=False)
    header = response.headers.get("Content-Security-Policy", "")
    problems = [] if header else [f"{url}: no Content-Security-Policy header"]
    directives, nonce = _policy(header)
    for name, value in POLICY.items():
        if directives.get(name) != value:
            problems.append(f"{url}: {name} is {directives.get(name)!r}, not {value!r}")
    style = directives.get("style-src", "")
    if re.sub(r" ?'nonce-[^']+'", "", style) != "'self'":
        problems.append(f"{url}: style-src is {style!r}")
    if "unsafe" in header:
        problems.append(f"{url}: {header}")
    if response.status_code in (301, 302, 303):
        return problems, [response.headers["Location"]]
    if "text/html" not in response.headers.get("Content-Type", ""):
        return problems, []
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    parser = _Inline(nonce)
    parser.feed(response.content.decode())
    return problems + [f"{url}: {p}" for p in parser.problems], parser.links


def _crawl(http: HttpClient, start: list[str], limit: int) -> tuple[set[str], list[str]]:
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    queue, problems = deque(start), []
    while queue and len(seen) < limit:
        url = urldefrag(queue.popleft())[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or not parts.path.startswith("/") or SKIP.search(url):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url in seen:
            continue
        # A few of each kind of page: ids and query values do not make a new kind.
        pattern = re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")
        if per_pattern.get(pattern, 0) >= 3:
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        seen.add(url)
        found, links = _check(http, url)
        problems += found
        queue.extend(links)
    return seen, problems


def _as(username: str) -> HttpClient:
    http = HttpClient()
    http.force_login(User.objects.get(username=username))
    return http


@pytest.mark.parametrize("username", ["admin", "dispatch", "engineer", "client-northgate"])
def test_every_page_has_the_policy_and_nothing_inline(username, demo):  # noqa: F811
    with clock.frozen(work_now(demo)):  # the demo's today: calendars and boards have content
        seen, problems = _crawl(_as(username), ["/"], PER_ROLE)
    assert len(seen) >= 10, seen
    assert problems == [], "\n".join(problems[:40])


def test_the_pages_that_need_most_care_are_covered(demo, settings):  # noqa: F811
    """Charts, the dispatch board with a plan, the change calendar with changes, the request form,
    the admin and the API docs."""
    from opsdesk.dispatch import services as dispatch
    from opsdesk.slos.models import Slo

    settings.OPSDESK_DISPATCH_SECONDS = 0.2
    http = _as("admin")
    now = work_now(demo)
    with clock.frozen(now):
        day = dispatch_day(now, "Europe/London")
        plan = dispatch.propose_plan(demo.regions["EMEA"].pk, day,
                                     actor=User.objects.get(username="admin"), seconds=0.2)
        slo = Slo.objects.order_by("pk").first()
        board = f"/dispatch/?region=EMEA&day={plan.day:%Y-%m-%d}"
        pages = ["/api/v1/docs", "/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/",
                 "/changes/calendar/", "/work/portal/?new=1", f"/slos/{slo.pk}/", board]
        problems: list[str] = []
        for url in pages:
            problems += _check(http, url)[0]
        assert problems == [], "\n".join(problems)
        # The pages held what used to be inline: positioned bars, calendar items, charts.
        html = {url: http.get(url).content.decode() for url in (board, "/changes/calendar/", f"/slos/{slo.pk}/")}
    assert html[board].count('class="stop') >= 1 and 'data-width="' in html[board]
    assert 'data-testid="cal-item"' in html["/changes/calendar/"] and 'data-top="' in html["/changes/calendar/"]
    assert 'id="chart-slo-budget"' in html[f"/slos/{slo.pk}/"] and "<style" not in html[f"/slos/{slo.pk}/"]



def test_a_nonce_is_sent_only_where_a_page_uses_one():
    http = _as("client-northgate")
    portal = http.get("/work/portal/?new=1")
    _, nonce = _policy(portal.headers["Content-Security-Policy"])
    assert nonce and f'<style nonce="{nonce}">' in portal.content.decode()
    home = http.get("/")
    assert "nonce-" not in home.headers["Content-Security-Policy"]


def test_the_api_and_errors_carry_the_policy_too():
    anon = HttpClient()
    for url in ("/api/v1/openapi.json", "/no-such-page/", "/login/"):
        assert "default-src 'self'" in anon.get(url).headers["Content-Security-Policy"], url


def test_the_charts_stylesheet_is_what_pygal_would_inline():
    """slos/static/slos/charts.css is written by `python -m opsdesk.slos.charts`; run it
    again when pygal or the chart style changes."""
    from pathlib import Path

    from opsdesk.slos import charts as slo_charts

    path = Path(slo_charts.__file__).parent / "static" / slo_charts.STYLESHEET
    assert path.read_text(encoding="utf-8") == slo_charts.stylesheet()
