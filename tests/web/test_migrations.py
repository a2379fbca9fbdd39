"""`flask --app wsgi db upgrade` builds exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from linktime.extensions import db
from tests.conftest import PG_URL, _reset_postgres, make_app


def test_upgrade_matches_the_models_and_downgrade_empties(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        db.drop_all()
        if PG_URL:
            _reset_postgres(app)
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
