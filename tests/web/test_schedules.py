"""One schedule shared by event types: its hours, holidays and days off reach all of them at once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import EventType, Schedule
from tests.helpers import add_event_type, add_user
from tests.web.test_event_types import FORM

# The clock fixture's now: Monday 23 November 2026. Thursday the 26th is Thanksgiving in the US.
THANKSGIVING = "2026-11-26"


@pytest.fixture
def ada(app, client, auth, clock):
    with app.app_context():
        host = add_user("ada", timezone="America/New_York")
        for slug in ("intro-call", "demo", "review"):
            add_event_type(host, slug=slug, min_notice_minutes=0)
        add_event_type(host, slug="own-hours", min_notice_minutes=0)
        add_user("bob", admin=False)
    auth.login()
    return client


def times_on(client, slug: str, day: str) -> list[str]:
    page = client.get(f"/ada/{slug}?tz=America/New_York&date={day}").get_data(as_text=True)
    return re.findall(r'class="[^"]*slot[^"]*"[^>]*>\s*(\d\d:\d\d)', page)


def make_shared_schedule(client, app, **changes) -> int:
    assert client.post("/settings/availability", data={"name": "Work"}).status_code == 302
    with app.app_context():
        schedule_id = db.session.scalar(select(Schedule.id))
    for slug_id in (1, 2, 3):  # three of the four event types keep it
        with app.app_context():
            et = db.session.get(EventType, slug_id)
            data = {**FORM, "title": et.title, "slug": et.slug, "min_notice_minutes": "0",
                    "schedule_id": str(schedule_id)}
        assert client.post(f"/event-types/{slug_id}/edit", data=data).status_code == 302
    if changes:
        week = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "09:00-17:00")
        answer = client.post(f"/settings/availability/{schedule_id}",
                             data={"name": "Work", **week, "saturday": "", "sunday": "", **changes})
        assert answer.status_code == 302, answer.get_data(as_text=True)
    return schedule_id


def test_a_holiday_closes_the_day_on_every_event_type_sharing_the_schedule(ada, app):
    shared = ("intro-call", "demo", "review")
    assert all(times_on(ada, slug, THANKSGIVING) for slug in (*shared, "own-hours"))
    schedule_id = make_shared_schedule(ada, app, holiday_country="US")
    for slug in shared:
        assert times_on(ada, slug, THANKSGIVING) == [], slug
        assert times_on(ada, slug, "2026-11-27")  # the Friday after is a working day
    assert times_on(ada, "own-hours", THANKSGIVING)  # keeps its own hours
    page = ada.get(f"/settings/availability/{schedule_id}").get_data(as_text=True)
    assert "Thanksgiving" in page and "used by 3" in ada.get("/settings/availability").get_data(as_text=True)


def test_a_range_of_days_off_and_other_hours_on_a_day(ada, app):
    schedule_id = make_shared_schedule(ada, app)
    answer = ada.post(f"/settings/availability/{schedule_id}/overrides",
                      data={"first": "2026-11-30", "last": "2026-12-02", "kind": "off"})
    assert answer.status_code == 302
    ada.post(f"/settings/availability/{schedule_id}/overrides",
             data={"first": "2026-12-03", "kind": "hours", "hours": "10:00-11:00"})
    for slug in ("intro-call", "demo", "review"):
        for day in ("2026-11-30", "2026-12-01", "2026-12-02"):
            assert times_on(ada, slug, day) == [], (slug, day)
        assert times_on(ada, slug, "2026-12-03") == ["10:00", "10:30"]
    page = ada.get(f"/settings/availability/{schedule_id}").get_data(as_text=True)
    assert "Mon, 30 Nov 2026 – Wed, 2 Dec 2026" in page and "10:00-11:00" in page
    ada.post(f"/settings/availability/{schedule_id}/overrides/remove",
             data={"first": "2026-11-30", "last": "2026-12-02"})
    assert times_on(ada, "demo", "2026-12-01")  # back to the weekly hours
    bad = ada.post(f"/settings/availability/{schedule_id}/overrides",
                   data={"first": "2026-12-10", "last": "2026-12-01", "kind": "off"})
    assert bad.status_code == 422 and "Pick a day on or after the first." in bad.get_data(as_text=True)


def test_changing_the_week_changes_every_page_at_once(ada, app):
    schedule_id = make_shared_schedule(ada, app)
    assert times_on(ada, "review", "2026-11-24")[0] == "09:00"  # the page is now kept in the cache
    week = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "13:00-15:00")
    ada.post(f"/settings/availability/{schedule_id}", data={"name": "Afternoons", **week})
    for slug in ("intro-call", "demo", "review"):
        assert times_on(ada, slug, "2026-11-24") == ["13:00", "13:30", "14:00", "14:30"]


def test_a_used_schedule_is_not_deleted_and_a_new_event_type_starts_on_the_default(ada, app):
    schedule_id = make_shared_schedule(ada, app)
    refused = ada.post(f"/settings/availability/{schedule_id}/delete", follow_redirects=True)
    assert "is used by 3 event types" in refused.get_data(as_text=True)
    form = ada.get("/event-types/new").get_data(as_text=True)
    assert f'<option selected value="{schedule_id}">Work</option>' in form or \
        f'<option value="{schedule_id}" selected>Work</option>' in form


def test_another_hosts_schedule_cannot_be_chosen(ada, app, auth):
    schedule_id = make_shared_schedule(ada, app)
    auth.logout()
    auth.login("bob@example.com")
    assert ada.get(f"/settings/availability/{schedule_id}").status_code == 404
    made = ada.post("/event-types/new", data={**FORM, "schedule_id": str(schedule_id)})
    assert made.status_code == 422 and "Not a valid choice" in made.get_data(as_text=True)


def test_two_processes_making_a_hosts_first_schedules_at_once_leave_one_default(app, clock):
    """A host's first schedule becomes their default. Another process makes one while this one has
    made its own but not yet committed: it waits for the host's lock (it says so, then asks for it),
    and once this one commits it sees this default and does not take a second."""
    import select as waiting

    from linktime.event_types.schedules import default_schedule
    from linktime.host_lock import host_transaction
    from tests.helpers import other_process

    with app.app_context():
        host = add_user("ada")
        with host_transaction(host.id):
            db.session.add(Schedule(user_id=host.id, name="Mine", weekly_hours={}, date_overrides={},
                                    holiday_country="", is_default=default_schedule(host) is None))
            other = other_process(app, f"""
from contextlib import contextmanager
from linktime.event_types import schedules
from linktime.extensions import db
from linktime.models import User
asking = schedules.host_transaction
@contextmanager
def said(*ids):
    print("locking", flush=True)
    with asking(*ids):
        yield
schedules.host_transaction = said
print(schedules.create_schedule(db.session.get(User, {host.id}), "Theirs").is_default, flush=True)
""")
            ready, _, _ = waiting.select([other.stdout], [], [], 60)
            assert ready and other.stdout.readline().strip() == "locking", other.stderr.read()
        out, err = other.communicate(timeout=60)
        assert other.returncode == 0, err
        assert out.strip() == "False"
        assert db.session.scalars(select(Schedule.name).where(Schedule.is_default)).all() == ["Mine"]
