"""Connecting a CalDAV account: its calendars kept, its app password encrypted, all of it
forgotten on disconnect."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from linktime.calendars import clients, service
from linktime.calendars.caldav.client import CalDAVError, WrongPassword
from linktime.extensions import db
from linktime.models import CalendarConnection, CalendarProvider, ConnectedCalendar
from tests.helpers import RADICALE_PASSWORD, add_user


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(CalendarConnection.id))),
            db.session.scalar(select(func.count(ConnectedCalendar.id))))


def test_an_account_is_kept_with_its_calendars_and_its_password_sealed(app, radicale):
    with app.app_context():
        ada = add_user("ada")
        connection = service.connect_with_password(ada, CalendarProvider.CALDAV, radicale, "ada", RADICALE_PASSWORD)
        assert connection.account == f"ada at {radicale.removeprefix('http://')}"
        assert sorted(c.name for c in connection.calendars) == ["Home", "Work"]
        assert all(c.check_conflicts for c in connection.calendars)
        assert [c.is_destination for c in connection.calendars].count(True) == 1  # the first one found
        assert RADICALE_PASSWORD not in connection.secret_enc and connection.secret == RADICALE_PASSWORD
        # The same account connected again (a new app password, say) is the same connection, with
        # the choices made about its calendars kept.
        work = next(c for c in connection.calendars if c.name == "Work")
        service.choose(ada, {work.id}, work.id)
        again = service.connect_with_password(ada, CalendarProvider.CALDAV, radicale + "/", "ada", RADICALE_PASSWORD)
        assert again.id == connection.id and stored() == (1, 2)
        assert [(c.name, c.check_conflicts, c.is_destination) for c in again.calendars] == [
            ("Home", False, False), ("Work", True, True)]
        # What LinkTime keeps lets it read the account again.
        assert sorted(c.name for c in clients.client_for(again).discover()) == ["Home", "Work"]


@pytest.mark.parametrize("url,username,password,error,message", [
    ("cloud.example.com", "ada", "x", CalDAVError, "starting with https://"),
    ("https://cloud.example.com", "", "x", CalDAVError, "username and the app password"),
    (None, "ada", "wrong", WrongPassword, "refused this username and password"),
])
def test_nothing_is_kept_when_the_account_cannot_be_used(app, radicale, url, username, password, error, message):
    with app.app_context():
        ada = add_user("ada")
        with pytest.raises(error, match=message):
            service.connect_with_password(ada, CalendarProvider.CALDAV, url or radicale, username, password)
        assert stored() == (0, 0)


def test_disconnect_forgets_the_account_and_its_calendars_at_once(app, radicale):
    with app.app_context():
        connection = service.connect_with_password(
            add_user("ada"), CalendarProvider.CALDAV, radicale, "ada", RADICALE_PASSWORD
        )
        assert stored() == (1, 2)
        service.disconnect(connection)
        assert stored() == (0, 0)
