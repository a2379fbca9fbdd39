"""The in-process dispatcher tick (APScheduler), and `flask run-jobs` for a separate worker."""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from linktime.extensions import db

log = logging.getLogger(__name__)
TICK_SECONDS = 5


def tick(app: Flask) -> None:
    """One dispatcher pass, then old done jobs pruned; errors are logged, the next tick tries again."""
    with app.app_context():
        from linktime.jobs.outbox import prune_done
        from linktime.jobs.runner import dispatch

        try:
            dispatch()
            prune_done()
        except Exception:
            log.exception("job dispatcher tick failed")
            db.session.rollback()
        finally:
            db.session.remove()


def _other_cli_command(argv: list[str]) -> bool:
    """True under the `flask` command for anything but `flask run` (db upgrade, run-jobs, …)."""
    program = Path(argv[0]).name if argv else ""
    under_flask = program == "flask" or (program == "__main__.py" and "flask" in argv[0])
    return under_flask and "run" not in argv[1:]


def start_scheduler(app: Flask, argv: list[str] | None = None) -> BackgroundScheduler | None:
    """Run the dispatcher every few seconds in this process, when SCHEDULER_ENABLED.

    Web processes (gunicorn, `flask run`) dispatch; other `flask` commands never do, so a
    migration or `flask run-jobs` does not get a second dispatcher running beside it.
    """
    if not app.config["SCHEDULER_ENABLED"] or app.testing or _other_cli_command(argv if argv is not None else sys.argv):
        return None
    # Under `flask run --reload` only the serving child process dispatches.
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(tick, "interval", seconds=TICK_SECONDS, args=[app], id="outbox",
                      max_instances=1, coalesce=True)
    scheduler.start()
    app.extensions["linktime.scheduler"] = scheduler
    return scheduler


def run_forever(app: Flask, interval: float = TICK_SECONDS) -> None:
    log.info("dispatching jobs every %s s", interval)
    while True:
        tick(app)
        time.sleep(interval)
