"""Flask extensions, created unbound and bound to the app in create_app()."""
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import CursorResult, Executable, MetaData
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter them on every database (SQLite included).
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:  # what db.Model is, for the type checker (Flask-SQLAlchemy builds it at run time)
    Model = Base
else:
    Model = db.Model


def rows_changed(statement: Executable, params: Mapping[str, Any] | None = None, *,
                 session: Session | None = None) -> int:
    """Run an UPDATE or DELETE (in ``session``, else the request's) and say how many rows it
    changed: the compare-and-set every claim, fence and lease here is built on."""
    result = (session or db.session).execute(statement, params)
    return cast(CursorResult[Any], result).rowcount


def real_app() -> Flask:
    """The application behind ``current_app``, to hand to a thread that outlives the request."""
    return current_app._get_current_object()  # type: ignore[attr-defined]
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()


def init_migrations(app: Flask, *, always: bool = False) -> None:
    """Flask-Migrate, loaded where migrations happen.

    Importing it brings in Alembic (about a tenth of a second at every worker's start), and a
    serving worker never migrates: until a `flask db …` command (or code that imports
    flask_migrate) asks for it, `db` is a stand-in that loads it then.
    """
    if "migrate" in app.extensions:
        return
    if always or "flask_migrate" in sys.modules:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
        return
    app.cli.add_command(_MigrationsOnDemand(app))


class _MigrationsOnDemand(click.Group):
    """`flask db …` before Flask-Migrate is loaded: when the command line is read, it loads it and
    takes on its `db` group (options, subcommands and what the group itself does)."""

    def __init__(self, app: Flask):
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        self.app = app

    def parse_args(self, ctx, args):
        init_migrations(self.app, always=True)
        loaded = cast(click.Group, self.app.cli.commands["db"])
        self.params, self.callback, self.commands = loaded.params, loaded.callback, loaded.commands
        self.help = loaded.help
        return super().parse_args(ctx, args)
