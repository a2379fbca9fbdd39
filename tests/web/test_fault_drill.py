"""The fault drill in CI: a few seeds of random bookings, reschedules and cancels against two web
processes and two dispatchers, with the sandbox injecting provider faults, then every invariant
checked (see ``tests/fault_drill.py``; ``bench/fault_drill.py`` runs it longer).

``LINKTIME_DRILL_SEEDS`` (a count) and ``LINKTIME_DRILL_OPS`` (per seed) make it longer.
"""
from __future__ import annotations

import os
import random
import time

import pytest

from linktime.extensions import db
from linktime.models import Webhook
from tests.fault_drill import Drill, drill_days, start_nodes
from tests.helpers import (
    PG_URL,
    SMTPServer,
    WebhookReceiver,
    add_event_type,
    add_user,
    close_app,
    connect_zoom,
    make_app,
    signed_in,
)
from tests.web.test_google_outlook import connect

# Six seeds on PostgreSQL (the deployment the drill stands for), three on SQLite files; longer
# drills: LINKTIME_DRILL_SEEDS, or bench/fault_drill.py for as long as you like.
SEEDS = int(os.environ.get("LINKTIME_DRILL_SEEDS", "6" if PG_URL else "3"))
OPS = int(os.environ.get("LINKTIME_DRILL_OPS", "100"))


@pytest.fixture
def deployment(tmp_path, sandbox):
    smtp = SMTPServer().start()
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2, CALENDAR_TIMEOUT=2)
    nodes = start_nodes(app, smtp.port)
    receiver = WebhookReceiver()
    try:
        yield app, nodes, smtp, receiver
    finally:
        receiver.close()
        nodes.stop()
        smtp.stop()
        close_app(app)


def test_the_fault_drill_leaves_nothing_drifting(deployment, sandbox):
    app, nodes, smtp, receiver = deployment
    days = drill_days()
    for seed in range(1, SEEDS + 1):
        username = f"host{seed}"
        with app.app_context():
            host = add_user(username, timezone="UTC")
            add_event_type(host, location="zoom")
            db.session.commit()
            host_id = host.id
        client = signed_in(app, email=f"{username}@example.com")
        connect_zoom(client, email=f"{username}@zoom-sandbox.test")
        connect(client, "google", email=f"{username}@gmail-sandbox.test")
        with app.app_context():
            hook = Webhook(user_id=host_id, url=receiver.url, events=["booking.created", "booking.rescheduled",
                                                                      "booking.cancelled", "meeting.link_ready"])
            hook.secret = f"whsec_{username}"
            db.session.add(hook)
            db.session.commit()
        drill = Drill(app, nodes, sandbox, smtp, username, random.Random(seed), days, receiver)
        try:
            began = time.monotonic()
            drill.run(OPS)
            ran = time.monotonic()
            drill.settle()
            settled = time.monotonic()
            drill.check()
            print(f"seed {seed}: {OPS} operations in {ran - began:.1f} s, settled in {settled - ran:.1f} s, "
                  f"checked in {time.monotonic() - settled:.1f} s")
        except AssertionError as failure:
            raise AssertionError(f"seed {seed}: {failure}\n" + "\n".join(drill.log[-40:])) from None
