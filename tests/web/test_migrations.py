"""`flask --app wsgi db upgrade` builds exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from linktime.extensions import db
from tests.helpers import PG_URL, make_app, reset_postgres


def test_upgrade_matches_the_models_and_downgrade_empties(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        db.drop_all()
        if PG_URL:
            reset_postgres(app)
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_cli_upgrade_on_a_fresh_sqlite_file(tmp_path, monkeypatch):
    from linktime import create_app

    monkeypatch.setenv("LINKTIME_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("LINKTIME_SECRET_KEY", "x")
    app = create_app()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {"users", "event_types", "bookings", "invites"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_a_serving_process_does_not_load_alembic_and_flask_db_still_migrates(tmp_path):
    """Workers start without Flask-Migrate and Alembic; `flask --app wsgi db upgrade` loads them."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "LINKTIME_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'served.db'}",
           "LINKTIME_SECRET_KEY": "x", "LINKTIME_SCHEDULER_ENABLED": "false"}
    loaded = subprocess.run([sys.executable, "-c", "import sys, wsgi; print(sorted(m for m in sys.modules "
                             "if m.split('.')[0] in ('alembic', 'flask_migrate')))"],
                            cwd=root, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "wsgi", "db", "upgrade"], cwd=root, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "served.db") as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "event_types", "bookings", "jobs"} <= tables


def test_an_installation_of_the_release_before_keeps_its_events_and_meetings(tmp_path):
    """An installation of the release before: a booking with its event in the host's calendar, a
    Zoom and a Meet meeting. After the upgrade the booking points at its event, which keeps the
    booking's invite UID and the time it was written at, and each meeting names its account as
    (provider, account id); the downgrade gives the old shape back."""
    from sqlalchemy import text

    app = make_app(tmp_path)
    with app.app_context():
        db.drop_all()
        if PG_URL:
            reset_postgres(app)
        upgrade(revision="c3d8e5f1a2b4")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, name, email, username, timezone, password_hash, is_admin, created_at, "
                "booking_seq) VALUES (1, 'Ada', 'ada@example.com', 'ada', 'UTC', 'x', true, '2026-12-01 00:00:00', 0)"))
            connection.execute(text(
                "INSERT INTO bookings (id, uid, host_id, title, location, location_detail, start, \"end\", "
                "invitee_name, invitee_email, invitee_timezone, notes, status, sequence, cancel_reason, created_at, "
                "updated_at, invitee_phone, reminder_channel, link_to_follow) VALUES (1, 'b-1', 1, 'Intro', "
                "'none', '', '2026-12-20 10:00:00', '2026-12-20 10:30:00', 'Bea', 'bea@example.com', 'UTC', '', "
                "'confirmed', 0, '', '2026-12-01 00:00:00', '2026-12-01 00:00:00', '', '', false)"))
            connection.execute(text(
                "INSERT INTO calendar_events (id, booking_id, host_id, status, desired_state, desired_revision, "
                "synced_revision, last_error, attempts, updated_at) VALUES (7, 1, 1, 'written', 'present', 1, 1, '', "
                "1, '2026-12-01 00:00:00')"))
            # a Zoom meeting and a Meet meeting, each on its account
            connection.execute(text(
                "INSERT INTO zoom_connections (id, uid, user_id, zoom_user_id, email, access_token_enc, "
                "refresh_token_enc, expires_at, scopes, status, attention_reason, connected_at, token_version) "
                "VALUES (3, 'z-3', 1, 'zu-1', 'ada@zoom.test', 'x', 'x', '2026-12-01 00:00:00', '', 'connected', '', "
                "'2026-12-01 00:00:00', 1)"))
            connection.execute(text(
                "INSERT INTO calendar_connections (id, uid, user_id, provider, account, server_url, secret_enc, "
                "status, attention_reason, connected_at) VALUES (5, 'c-5', 1, 'google', 'ada@gmail.test', '', 'x', "
                "'connected', '', '2026-12-01 00:00:00')"))
            for meeting_id, provider, column, account in ((1, "zoom", "connection_id", 3),
                                                          (2, "google_meet", "calendar_connection_id", 5)):
                connection.execute(text(
                    f"INSERT INTO meetings (id, uid, host_id, provider, {column}, account_ref, start, \"end\", "
                    "status, desired_state, desired_revision, synced_revision, create_unverified, warning, "
                    "last_error, attempts, created_at, updated_at) VALUES (:id, :uid, 1, :provider, :account, 'ref', "
                    "'2026-12-20 10:00:00', '2026-12-20 10:30:00', 'created', 'present', 1, 1, false, '', '', 1, "
                    "'2026-12-01 00:00:00', '2026-12-01 00:00:00')"),
                    dict(id=meeting_id, uid=f"m-{meeting_id}", provider=provider, account=account))
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT calendar_event_id FROM bookings")).scalar() == 7
            uid, start = connection.execute(text("SELECT uid, written_start FROM calendar_events")).one()
            assert uid == "b-1@linktime" and str(start).startswith("2026-12-20 10:00")
            assert connection.execute(text("SELECT provider, account_id FROM meetings ORDER BY id")).all() == [
                ("zoom", 3), ("google_meet", 5)]
        downgrade(revision="c3d8e5f1a2b4")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT booking_id FROM calendar_events")).scalar() == 1
            assert connection.execute(
                text("SELECT connection_id, calendar_connection_id FROM meetings ORDER BY id")
            ).all() == [(3, None), (None, 5)]
        db.engine.dispose()
