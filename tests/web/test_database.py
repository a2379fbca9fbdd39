"""Which database the suite runs on — so that CI's PostgreSQL run cannot quietly use SQLite."""
import os

from linktime.extensions import db


def test_suite_runs_on_the_database_it_was_given(app):
    with app.app_context():
        dialect = db.engine.dialect.name
    if os.environ.get("LINKTIME_REQUIRE_POSTGRES") == "1":
        assert dialect == "postgresql"
    else:
        assert dialect == ("postgresql" if os.environ.get("LINKTIME_TEST_DATABASE_URL") else "sqlite")
