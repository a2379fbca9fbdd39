"""One host's calendar cannot cost another host's page, with real processes: gunicorn as the README
deploys it (two workers, four threads each), one host whose calendar server drips, another whose
calendar holds an event built to be costly, and a third whose page must still answer in time and
never offer a time that is busy in their calendar."""
from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from linktime.extensions import db
from linktime.models import CalendarConnection, ConnectedCalendar
from tests.helpers import add_event_type, add_user, close_app, make_app
from tests.hostile import HostileServer, calendar_answer
from tests.web.test_workers import gunicorn_serving, worker_config

NEW_YORK = ZoneInfo("America/New_York")
PAGE_WAIT = 5.0  # what a booking page may wait for its host's calendars (calendars/busy.py)


def a_weekday_ahead() -> date:
    """A weekday at least three days from now, whatever day and hour the test runs."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def event(uid: str, lines: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n{lines}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def times(page: str) -> list[str]:
    return re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', page)


@pytest.fixture
def servers():
    made = [HostileServer() for _ in range(3)]
    yield made
    for server in made:
        server.close()


def test_a_dripping_server_and_a_costly_calendar_cost_a_third_host_nothing(tmp_path, servers):
    dripping, costly, healthy = servers
    dripping.routes["/"] = dripping.drip(lasting=120)
    costly.routes["/"] = calendar_answer(event("bomb", "DTSTART:20250101T000000Z\r\nDTEND:20250101T000001Z\r\n"
                                                       "RRULE:FREQ=SECONDLY"))
    day = a_weekday_ahead()
    busy_from = datetime.combine(day, datetime.min.time().replace(hour=10), NEW_YORK)
    healthy.routes["/"] = calendar_answer(
        event(
            "meeting",
            f"DTSTART:{busy_from.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}"
            f"\r\nDTEND:{(busy_from + timedelta(hours=1)).astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}",
        )
    )

    app = make_app(tmp_path)
    with app.app_context():
        for name, server in (("ada", dripping), ("bob", costly), ("cy", healthy)):
            host = add_user(name, timezone="America/New_York")
            add_event_type(host, min_notice_minutes=60)
            connection = CalendarConnection(user_id=host.id, provider="caldav", account=f"{name} at calendar",
                                            server_url=server.url + "/")
            connection.secret = "app-password"
            connection.calendars.append(ConnectedCalendar(remote_id=server.url + "/cal/", name="Work"))
            db.session.add(connection)
        db.session.commit()
    close_app(app)

    stop = threading.Event()
    with gunicorn_serving(tmp_path, worker_config(tmp_path, RATELIMIT_ENABLED=False), threads=4) as url:
        def attack(host: str, n: int) -> None:
            """Visitors of the two hostile hosts' pages, each asking for other days and months."""
            step = 0
            while not stop.is_set():
                asked = day + timedelta(days=(n * 7 + step) % 50)
                try:
                    requests.get(f"{url}/{host}/intro-call",
                                 params={"tz": "America/New_York", "date": asked.isoformat()}, timeout=60)
                except requests.RequestException:  # the server is gone: the test is over
                    return
                step += 1

        attackers = [threading.Thread(target=attack, args=(host, n), daemon=True)
                     for n in range(6) for host in ("ada", "bob")]
        for attacker in attackers:
            attacker.start()
        assert dripping.arrived.acquire(timeout=20)  # Ada's server is dripping on LinkTime now

        for zone in ("America/New_York", "Europe/London", "America/Chicago"):  # other windows: read fresh
            local = busy_from.astimezone(ZoneInfo(zone))
            started = time.monotonic()
            page = requests.get(f"{url}/cy/intro-call", params={"tz": zone, "date": local.date().isoformat()},
                                timeout=60)
            took = time.monotonic() - started
            assert page.status_code == 200 and took < PAGE_WAIT, (page.status_code, took)
            shown = set(times(page.text))
            taken = {f"{local:%H:%M}", f"{local + timedelta(minutes=30):%H:%M}"}
            free = f"{local - timedelta(hours=1):%H:%M}"  # 09:00 in New York
            assert free in shown and not taken & shown, (zone, sorted(shown))  # Cy's meeting stays off
            assert "could not be checked" not in page.text
        assert requests.get(f"{url}/login", timeout=10).status_code == 200
        stop.set()
