"""The look-alikes of Zoom (``zoom.py``), Google Calendar and Outlook (``calendars.py``) that play
those providers in development, demos and tests, over real HTTP on a port of their own: LinkTime
reaches them through exactly the same client code as the real services (only base URLs differ).

Run it: ``python -m linktime.sandbox --port 5001 --instance instance``. State lives in memory.
No LinkTime module imports this package (tests/unit/test_architecture.py checks it).
"""
from __future__ import annotations

from flask import Flask

from linktime.config import SANDBOX_CLIENT_ID
from linktime.sandbox import calendars, zoom


def create_sandbox(*, client_secret: str, webhook_secret: str, client_id: str = SANDBOX_CLIENT_ID,
                   webhook_url: str | None = None) -> Flask:
    """One app playing all three providers; the OAuth client they accept is ``client_id``."""
    app = Flask(__name__)
    app.config.update(SANDBOX_CLIENT_ID=client_id, SANDBOX_CLIENT_SECRET=client_secret, WEBHOOK_URL=webhook_url)
    state = app.extensions["zoom_sandbox"] = zoom.SandboxState(webhook_secret)
    app.extensions["calendar_sandbox"] = calendars.CalendarSandboxState(now=state.now)  # one clock
    app.register_blueprint(zoom.bp)
    app.register_blueprint(calendars.bp)
    return app
