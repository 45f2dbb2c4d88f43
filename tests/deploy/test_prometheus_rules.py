"""deploy/prometheus: Prometheus accepts the alerting rules and the scrape config, and the rules'
unit tests (opsdesk-rules.test.yml) pass, with the real promtool (Debian's `prometheus` package)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = DEPLOY / "opsdesk-rules.yml"


def promtool() -> str:
    """The system's promtool; fails (never skips) when it is not installed."""
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if not found:
        pytest.fail(
            "promtool is not installed: run `make system-deps` (apt-get install prometheus)"
        )
    return found


def run(*args: str, cwd: Path = DEPLOY) -> str:
    done = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (
        f"promtool {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout + done.stderr


def test_promtool_accepts_the_rules():
    out = run("check", "rules", str(RULES))
    assert "SUCCESS: 11 rules found" in out


def test_the_rules_unit_tests_pass():
    out = run("test", "rules", "opsdesk-rules.test.yml")
    assert "SUCCESS" in out


def test_every_alert_has_a_unit_test_or_is_a_threshold_twin():
    alerts = set(re.findall(r"- alert: (\w+)", RULES.read_text()))
    tested = set(re.findall(r"alertname: (\w+)", (DEPLOY / "opsdesk-rules.test.yml").read_text()))
    untested = alerts - tested
    # These have the shape of a tested rule with another threshold or series (refusals, lag, latency).
    assert untested <= {
        "OpsdeskIntakeUnavailable",
        "OpsdeskNotificationEmailsPiling",
        "OpsdeskServerErrors",
    }, untested


def test_the_scrape_config_example_is_valid(tmp_path: Path):
    token = tmp_path / "opsdesk-token"
    token.write_text("odt_example\n")
    config = (
        (DEPLOY / "prometheus.yml").read_text().replace("/etc/prometheus/opsdesk-token", str(token))
    )
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(RULES, tmp_path / "opsdesk-rules.yml")
    out = run("check", "config", "prometheus.yml", cwd=tmp_path)
    assert "SUCCESS" in out and "11 rules found" in out
