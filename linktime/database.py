"""The database under the app: the engine's options, and what every SQLite connection is set to."""
from __future__ import annotations

import contextlib
import os
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from linktime.extensions import db, init_migrations


def init_database(app: Flask) -> None:
    """Bind Flask-SQLAlchemy (and, where migrations happen, Flask-Migrate) to the app."""
    sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    if sqlite:
        # A file on this machine has no connection to lose: no ping before each use.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    db.init_app(app)
    if sqlite:
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_synchronous(app.config["SQLITE_SYNCHRONOUS"]))
    init_migrations(app)


SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def _sqlite_synchronous(level: str):
    """How SQLite waits for the disk at each commit (SQLITE_SYNCHRONOUS).

    NORMAL, with WAL: a commit is not flushed to disk one by one but at each checkpoint. A crash of
    LinkTime loses nothing and the file is never corrupted; a power cut may take back the last
    commits before it. FULL flushes every commit (about 0.5 ms each, held under the write lock).
    """
    level = str(level).upper()
    if level not in SYNCHRONOUS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}, not {level!r}")

    def set_level(dbapi_connection, connection_record) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous={level}")

    return set_level


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL for concurrent readers, a busy timeout for writers, enforced foreign keys, secure delete.

    The database file is made 0600; SQLite gives its -wal and -shm files the same mode.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for _, name, path in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main" and path and os.path.exists(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o600)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a disconnected account's tokens and email) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
