"""OPSDESK_HTTPS: redirect to https://, HSTS, Secure cookies, X-Forwarded-Proto from the proxy.

Settings are read once at import, so each case runs Django in a subprocess with its own
environment. The login page needs no database: its GET only sets the csrftoken cookie.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import json
import django
django.setup()
from django.test import Client

client = Client()
plain = client.get("/login/")
proxied = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
cookie = proxied.cookies.get("csrftoken")
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "plain_hsts": plain.headers.get("Strict-Transport-Security"),
    "proxied_status": proxied.status_code,
    "proxied_hsts": proxied.headers.get("Strict-Transport-Security"),
    "cookie_set": cookie is not None,
    "cookie_secure": bool(cookie and cookie["secure"]),
}))
"""


def probe(**env: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="opsdesk-https-") as var_dir:
        environ = {
            key: value
            for key, value in os.environ.items()
            if key not in {"OPSDESK_HTTPS", "OPSDESK_SECURE_COOKIES"}
        }
        environ.update(
            {
                "PYTHONPATH": str(SRC),
                "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
                "OPSDESK_VAR_DIR": var_dir,
                **env,
            }
        )
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def with_https() -> dict[str, Any]:
    return probe(OPSDESK_HTTPS="1")


@pytest.fixture(scope="module")
def without_https() -> dict[str, Any]:
    return probe()


def test_plain_http_is_redirected_to_https(with_https: dict[str, Any]) -> None:
    assert with_https["plain_status"] == 301
    assert with_https["plain_location"] == "https://testserver/login/"


def test_https_behind_proxy_sends_hsts_and_secure_cookie(with_https: dict[str, Any]) -> None:
    assert with_https["proxied_status"] == 200
    assert with_https["proxied_hsts"] == "max-age=31536000; includeSubDomains"
    assert with_https["cookie_set"]
    assert with_https["cookie_secure"]


def test_without_the_flag_no_redirect_no_hsts_no_secure_cookie(without_https: dict[str, Any]) -> None:
    assert without_https["plain_status"] == 200
    assert without_https["plain_location"] == ""
    assert without_https["plain_hsts"] is None
    # X-Forwarded-Proto is not trusted without the flag: still plain http, no HSTS.
    assert without_https["proxied_status"] == 200
    assert without_https["proxied_hsts"] is None
    assert without_https["cookie_set"]
    assert not without_https["cookie_secure"]


def test_secure_cookies_alias_marks_cookies_only() -> None:
    alias = probe(OPSDESK_SECURE_COOKIES="1")
    assert alias["plain_status"] == 200
    assert alias["proxied_hsts"] is None
    assert alias["cookie_secure"]
