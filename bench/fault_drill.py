"""The fault drill, longer than CI runs it: more seeds, more operations per seed.

    .venv/bin/python bench/fault_drill.py                       # 50 seeds x 300 operations, SQLite files
    .venv/bin/python bench/fault_drill.py --seeds 200 --ops 500
    .venv/bin/python bench/fault_drill.py --database postgresql+psycopg://linktime:…@127.0.0.1/linktime_drill

Two gunicorn processes and two `flask run-jobs` dispatchers on one database, the sandbox injecting
5xx, 429 with Retry-After, slow answers and answers lost after acting; after each seed every
invariant is checked (see tests/fault_drill.py). The database given is emptied first.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (emptied first); SQLite files if not given")
    args = parser.parse_args()
    env = {**os.environ, "LINKTIME_DRILL_SEEDS": str(args.seeds), "LINKTIME_DRILL_OPS": str(args.ops)}
    if args.database:
        env["LINKTIME_TEST_DATABASE_URL"] = args.database
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                           "tests/web/test_fault_drill.py"], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
