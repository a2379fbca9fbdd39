"""`flask --app wsgi doctor` says what is right and, for each thing that is not, how to fix it."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import ZoomConnection
from tests.helpers import PG_URL, LiveServer, add_user, close_app, connect_zoom, make_app, reset_postgres


@pytest.fixture
def installation(tmp_path, sandbox, smtp):
    """A migrated database, the Zoom sandbox, a real SMTP server, and LinkTime answering at BASE_URL."""
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        db.drop_all()
        if PG_URL:
            reset_postgres(app)
        upgrade()
        add_user("ada")
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        yield app
    close_app(app)


def doctor(app):
    result = app.test_cli_runner().invoke(args=["doctor"])
    lines = {line.split()[1]: line for line in result.output.splitlines() if line.startswith(("ok", "FAIL"))}
    return result, lines


def test_a_healthy_installation_passes_every_check(installation):
    result, lines = doctor(installation)
    assert result.exit_code == 0, result.output
    assert set(lines) == {"database", "keys", "base", "zoom", "webhook", "mail"}
    assert all(line.startswith("ok") for line in lines.values())
    assert f"at the latest migration ({latest_migration()})" in lines["database"]
    assert "all 2 stored secret(s) open" in lines["keys"]
    assert "/integrations/zoom/callback" in lines["zoom"] and "answers EHLO" in lines["mail"]
    assert "6 ok, 0 to fix." in result.output


def _unmigrated(app):
    with app.app_context():
        db.session.execute(db.text("DELETE FROM alembic_version"))
        db.session.commit()


def _missing_key(app):
    with app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        connection.refresh_token_enc = connection.refresh_token_enc[:-12]  # cut short
        db.session.commit()


def _stopped_smtp(app):
    app.config["MAIL_PORT"] = _closed_port()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BREAKAGES = {
    "database": (_unmigrated, "db upgrade"),
    "keys": (_missing_key, "put the missing key back"),
    "base": (lambda app: app.config.update(BASE_URL=f"http://127.0.0.1:{_closed_port()}"), "set BASE_URL"),
    "zoom": (lambda app: app.config.update(ZOOM_CLIENT_SECRET="wrong"), "ZOOM_CLIENT_SECRET"),
    "webhook": (lambda app: app.config.pop("ZOOM_WEBHOOK_SECRET_TOKEN"), "Secret Token"),
    "mail": (_stopped_smtp, "MAIL_SERVER, MAIL_PORT"),
}


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_each_problem_fails_its_check_with_the_fix_and_a_nonzero_exit(installation, check):
    breakage, fix = BREAKAGES[check]
    breakage(installation)
    result, lines = doctor(installation)
    assert result.exit_code == 1
    assert lines[check].startswith("FAIL") and "fix: " in result.output and fix in result.output
    assert [name for name, line in lines.items() if line.startswith("FAIL")] == [check]


def latest_migration() -> str:
    """The head revision, read from the migration files themselves."""
    import re

    folder = Path(__file__).resolve().parents[2] / "linktime" / "migrations" / "versions"
    revisions, parents = set(), set()
    for script in folder.glob("*.py"):
        text = script.read_text()
        revisions.add(re.search(r"^revision = '(\w+)'", text, re.M)[1])
        parent = re.search(r"^down_revision = '(\w+)'", text, re.M)
        if parent:
            parents.add(parent[1])
    (head,) = revisions - parents
    return head
