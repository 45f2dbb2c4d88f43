"""bench/sla_recompute.py runs end to end on a small database and prints its figures (the figure
itself is measured by running the benchmark, never by a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sla_recompute.py"


def test_the_recompute_benchmark_prints_one_json_line_of_figures(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--work-orders", "3000"], check=True,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["recompute_work_orders"] == 3000
    assert figures["recompute_first_written"] == 3 * 3000  # response, on-site and resolution each
    assert figures["recompute_hour_later_written"] > 0  # open work's clocks moved on
    statuses = figures["recompute_statuses"]
    assert statuses["met"] > 0 and statuses["breached"] > 0 and statuses.get("running", 0) + statuses.get("at_risk", 0) > 0
