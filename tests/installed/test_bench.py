"""The benchmark suite still runs end to end (tiny settings: this checks it works, not how fast)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.same_on_every_database  # the benchmark makes its own SQLite file


def test_the_benchmark_runs_and_prints_its_table():
    if not shutil.which("wrk"):
        if os.environ.get("LINKTIME_REQUIRE_BROWSER") == "1":  # CI installs wrk with Chromium
            pytest.fail("wrk is required here (apt install wrk)")
        pytest.skip("wrk is not installed (apt install wrk)")
    result = subprocess.run([sys.executable, "bench/run.py", "--bookings", "30", "--rounds", "1", "--seconds", "1",
                             "--connections", "4"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for line in ("booking page", "day partial (htmx)", "month partial (htmx)", "SQL statements", "worker RSS"):
        assert line in out
    assert "50 booked" in out and " 0 errors" in out
    import re

    mailed = re.search(r"mail: (\d+) due booking emails -> (\d+) received \((\d+) distinct, 0 failed\)", out)
    assert mailed and int(mailed[1]) >= 60 and mailed[1] == mailed[2] == mailed[3], out  # each exactly once
    reminders = re.search(r"reminders: (\d+) due at one moment -> (\d+) received \((\d+) distinct\)", out)
    assert reminders and int(reminders[1]) >= 60 and reminders[1] == reminders[2] == reminders[3], out
