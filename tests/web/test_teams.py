"""Team scheduling: a team page, round-robin and collective event types, out of office, races."""
from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import or_, select

from linktime.bookings import service
from linktime.bookings.availability import SlotTaken, slots_between
from linktime.extensions import db
from linktime.models import (
    Booking,
    BookingHost,
    EventType,
    EventTypeHost,
    OutOfOffice,
    Scheduling,
    Team,
    TeamMember,
    User,
)
from tests.helpers import MONDAY_MORNING, WEEKDAYS_9_TO_5, add_event_type, add_user, book_form, close_app, make_app
from tests.web.test_workers import gunicorn_serving, worker_config

# Tuesday 2026-11-24, 15:00 UTC: 10:00 in New York, 16:00 in Berlin — inside both working days.
TUESDAY_15 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def make_team(kind: Scheduling, members: list[User], slug: str = "talk", **fields) -> EventType:
    """Team "Sales" with these members, and its event type hosted by all of them."""
    team = db.session.scalar(select(Team).where(Team.slug == "sales"))
    if team is None:
        team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=member.id) for member in members])
        db.session.add(team)
        db.session.flush()
    values = dict(title="Talk to Sales", slug=slug, duration_minutes=30, weekly_hours=WEEKDAYS_9_TO_5,
                  date_overrides={}, min_notice_minutes=0, increment_minutes=30, location="none",
                  team_id=team.id, scheduling=kind.value)
    values.update(fields)
    event_type = EventType(host_id=members[0].id, **values)
    event_type.team_hosts = [EventTypeHost(user_id=member.id) for member in members]
    db.session.add(event_type)
    db.session.commit()
    return event_type


def invitee(n: int) -> service.Invitee:
    return service.Invitee(name=f"Invitee {n}", email=f"invitee{n}@example.org", timezone="UTC")


@pytest.fixture
def team(app, clock):
    """Ann (New York), Bob (Berlin) and Cy (New York), all in team Sales."""
    with app.app_context():
        people = [add_user("ann", timezone="America/New_York"), add_user("bob", timezone="Europe/Berlin", admin=False),
                  add_user("cy", timezone="America/New_York", admin=False)]
        return [person.id for person in people]


def people(ids: list[int]) -> list[User]:
    return [db.session.get_one(User, user_id) for user_id in ids]


def test_team_page_lists_its_event_types_with_their_hosts(client, app, team):
    with app.app_context():
        make_team(Scheduling.ROUND_ROBIN, people(team))
        make_team(Scheduling.COLLECTIVE, people(team)[:2], slug="panel", title="Panel interview")
    page = client.get("/team/sales").get_data(as_text=True)
    assert "Talk to Sales" in page and "Panel interview" in page
    assert "with one of them" in page and "with all of them" in page
    assert 'aria-label="Ann"' in page and 'aria-label="Bob"' in page
    assert client.get("/team/nobody").status_code == 404
    # A team's event type is not one of its organiser's own pages.
    assert client.get("/ann/talk").status_code == 404
    assert "Talk to Sales" not in client.get("/ann").get_data(as_text=True)


def test_round_robin_offers_a_time_when_anyone_is_free_and_collective_only_when_everyone_is(app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        anyone = make_team(Scheduling.ROUND_ROBIN, [ann, bob])
        everyone = make_team(Scheduling.COLLECTIVE, [ann, bob], slug="panel")
        window = (TUESDAY_15 - timedelta(hours=12), TUESDAY_15 + timedelta(hours=12))
        union = {slot.start for slot in slots_between(anyone, *window)}
        both = {slot.start for slot in slots_between(everyone, *window)}
        # Berlin works 08:00–16:00 UTC, New York 14:00–22:00 UTC: the overlap is 14:00–16:00.
        assert min(union) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        assert max(union) == datetime(2026, 11, 24, 21, 30, tzinfo=UTC)
        assert sorted(both) == [datetime(2026, 11, 24, 14, 0, tzinfo=UTC) + timedelta(minutes=30 * i)
                                for i in range(4)]


def test_round_robin_books_each_time_with_a_free_member_and_the_invitee_sees_who(client, app, team):
    with app.app_context():
        ann, bob, cy = people(team)
        make_team(Scheduling.ROUND_ROBIN, [ann, bob, cy])
        add_event_type(ann, slug="own")
        service.book_slot(db.session.scalar(select(EventType).where(EventType.slug == "own")), TUESDAY_15,
                          invitee(0))  # Ann is busy at 15:00 with her own event type
    start = TUESDAY_15.isoformat()
    hosts = []
    for n in range(2):
        response = book_form(client, "/team/sales/talk/book", start, name=f"Invitee {n}",
                             email=f"i{n}@example.org", tz="UTC")
        assert response.status_code == 303, response.get_data(as_text=True)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        hosts.append(re.search(r"Talk to Sales with (\w+)", page).group(1))
    assert sorted(hosts) == ["Bob", "Cy"]  # Ann was busy; each free member once
    gone = book_form(client, "/team/sales/talk/book", start, name="Late", email="late@example.org", tz="UTC")
    assert gone.status_code == 409
    assert "a moment before you" in gone.get_data(as_text=True)


def test_hundred_round_robin_bookings_over_three_equal_members_differ_by_at_most_one(app, team):
    with app.app_context():
        event_type = make_team(Scheduling.ROUND_ROBIN, people(team), horizon_days=60)
        times = [slot.start for slot in slots_between(event_type, MONDAY_MORNING, MONDAY_MORNING + timedelta(days=40))]
        # Times at which all three are free: New York and Berlin overlap 14:00–16:00 UTC.
        starts = [start for start in times if 14 <= start.hour < 16][:100]
        assert len(starts) == 100
        counts = Counter(service.book_slot(event_type, start, invitee(n)).host.name for n, start in enumerate(starts))
        assert max(counts.values()) - min(counts.values()) <= 1, counts
        assert set(counts) == {"Ann", "Bob", "Cy"}


def test_round_robin_passes_members_out_of_office_by(app, team):
    with app.app_context():
        ann, bob, cy = people(team)
        event_type = make_team(Scheduling.ROUND_ROBIN, [ann, bob, cy])
        db.session.add(OutOfOffice(user_id=bob.id, first_day=TUESDAY_15.date(),
                                   last_day=TUESDAY_15.date() + timedelta(days=3)))
        db.session.commit()
        starts = [TUESDAY_15 + timedelta(days=day, minutes=30 * half) for day in range(3) for half in range(2)]
        hosts = {service.book_slot(event_type, start, invitee(n)).host.name for n, start in enumerate(starts)}
        assert hosts == {"Ann", "Cy"}


def test_weights_share_bookings_out_in_proportion(app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        event_type = make_team(Scheduling.ROUND_ROBIN, [ann, bob])
        event_type.team_hosts[0].weight = 200  # Ann takes twice Bob's share
        db.session.commit()
        starts = [start for start in (slot.start for slot in slots_between(
            event_type, MONDAY_MORNING, MONDAY_MORNING + timedelta(days=30))) if 14 <= start.hour < 16][:30]
        counts = Counter(service.book_slot(event_type, start, invitee(n)).host.name for n, start in enumerate(starts))
        assert counts == {"Ann": 20, "Bob": 10}


def test_collective_books_everyone_and_their_time_is_taken_on_their_own_pages(client, app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        panel = make_team(Scheduling.COLLECTIVE, [ann, bob], slug="panel")
        bobs = add_event_type(bob, slug="coffee")
        booking = service.book_slot(panel, TUESDAY_15, invitee(1))
        assert booking.host.name == "Ann" and [host.name for host in booking.hosts] == ["Ann", "Bob"]
        # Bob's own event type no longer offers the time he hosts the panel at.
        assert TUESDAY_15 not in {slot.start for slot in slots_between(bobs, TUESDAY_15 - timedelta(hours=2),
                                                                          TUESDAY_15 + timedelta(hours=2))}
        token = booking.manage_token
    page = client.get(f"/booking/{token}").get_data(as_text=True)
    assert "Ann and Bob" in page


def test_collective_never_overlaps_a_member_booked_elsewhere(app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        panel = make_team(Scheduling.COLLECTIVE, [ann, bob], slug="panel")
        service.book_slot(add_event_type(bob, slug="coffee"), TUESDAY_15, invitee(1))
        with pytest.raises(SlotTaken):
            service.book_slot(panel, TUESDAY_15, invitee(2))
        assert db.session.scalar(select(Booking).where(Booking.event_type_id == panel.id)) is None


def test_a_collective_booking_cancelled_frees_every_host(app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        panel = make_team(Scheduling.COLLECTIVE, [ann, bob], slug="panel")
        bobs = add_event_type(bob, slug="coffee")
        booking = service.book_slot(panel, TUESDAY_15, invitee(1))
        service.cancel_booking(booking, by="invitee")
        assert TUESDAY_15 in {slot.start for slot in slots_between(bobs, TUESDAY_15 - timedelta(hours=2),
                                                                      TUESDAY_15 + timedelta(hours=2))}


def test_admins_create_teams_and_team_event_types_members_only_see_theirs(client, app, team, auth):
    auth.login("ann@example.com")
    response = client.post("/teams/new", data={"name": "Support", "slug": "", "description": "We help.",
                                               "members": [str(team[0]), str(team[1])]})
    assert response.status_code == 302
    with app.app_context():
        support = db.session.scalar(select(Team).where(Team.slug == "support"))
        assert sorted(m.user_id for m in support.members) == sorted(team[:2])
        team_id = support.id
    form = {"title": "Help desk", "slug": "", "description": "", "duration_minutes": "30", "location": "none",
            "location_detail": "", "monday": "09:00-17:00", "tuesday": "09:00-17:00", "wednesday": "",
            "thursday": "", "friday": "", "saturday": "", "sunday": "", "date_overrides": "",
            "min_notice_minutes": "0", "buffer_before_minutes": "0", "buffer_after_minutes": "0", "max_per_day": "",
            "horizon_days": "60", "increment_minutes": "30", "seats": "1", "repeat_weeks": "0", "repeat_max": "4",
            "reminders": "", "sms_countries": "", "active": "y", "scheduling": "round_robin",
            "hosts": [str(team[0]), str(team[1])], "organiser": str(team[0]),
            f"priority_{team[0]}": "0", f"weight_{team[0]}": "100", f"priority_{team[1]}": "1",
            f"weight_{team[1]}": "100"}
    response = client.post(f"/teams/{team_id}/event-types/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/team/support/help-desk").status_code == 200
    bad = client.post(f"/teams/{team_id}/event-types/new", data={**form, "hosts": [], "slug": "other"})
    assert bad.status_code == 422 and "Choose at least one host." in bad.get_data(as_text=True)
    # The organiser's own Event Types page does not list it, nor edit it.
    assert "Help desk" not in client.get("/event-types").get_data(as_text=True)
    auth.logout()
    auth.login("bob@example.com")
    assert "Support" in client.get("/teams").get_data(as_text=True)
    assert client.get("/teams/new").status_code == 404
    assert client.get(f"/teams/{team_id}/edit").status_code == 404
    auth.logout()
    auth.login("cy@example.com")
    assert "Support" not in client.get("/teams").get_data(as_text=True)


def test_round_robin_race_k_free_members_n_invitees_across_processes(tmp_path):
    """Two free members, four invitees at once through two worker processes: two bookings with
    different members, two told the time is gone."""
    app = make_app(tmp_path)
    with app.app_context():
        members = [add_user(name, timezone="UTC") for name in ("ann", "bob", "cy")]
        event_type = make_team(Scheduling.ROUND_ROBIN, members, min_notice_minutes=0, horizon_days=365,
                               weekly_hours={str(day): [["00:00", "24:00"]] for day in range(7)})
        start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
        service.book_slot(add_event_type(members[2], slug="own", weekly_hours=event_type.weekly_hours,
                                         horizon_days=365), start, invitee(0))  # Cy is busy
        event_type_id = event_type.id
    close_app(app)
    with gunicorn_serving(tmp_path, worker_config(tmp_path, WTF_CSRF_ENABLED=False), workers=2, threads=2) as url:
        barrier = threading.Barrier(4)
        answers: list[int] = []

        def book(n: int) -> None:
            barrier.wait(timeout=20)
            response = requests.post(f"{url}/team/sales/talk/book", timeout=60, allow_redirects=False,
                                     data={"start": start.isoformat(), "name": f"Invitee {n}",
                                           "email": f"i{n}@example.org", "tz": "UTC"})
            answers.append(response.status_code)

        threads = [threading.Thread(target=book, args=(n,)) for n in range(1, 5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(answers) == [303, 303, 409, 409]
    with app.app_context():
        hosts = [b.host.name for b in db.session.scalars(select(Booking).where(Booking.start == start,
                                                                               Booking.event_type_id == event_type_id))]
    close_app(app)
    assert sorted(hosts) == ["Ann", "Bob"]


def test_a_collective_booking_reaches_every_host_one_meeting_their_emails_and_calendars(mail_app, smtp, radicale,
                                                                                        clock):
    """One Zoom meeting on the organiser's account; each host is emailed and gets the event, with
    the link, in their own calendar; a move moves them all, a cancel removes them all."""
    from linktime.calendars import service as calendars
    from linktime.models import CalendarProvider, EventStatus, MeetingStatus
    from tests.helpers import RADICALE_PASSWORD, connect_zoom, signed_in
    from tests.web.test_calendar_bookings import resources

    for calendar in ("work", "home"):  # the server lives for the module: start from empty calendars
        for name in resources(radicale, calendar):
            requests.delete(f"{radicale}/ada/{calendar}/{name}", auth=("ada", RADICALE_PASSWORD))
    app = mail_app
    with app.app_context():
        ada, bob = add_user("ada", timezone="UTC"), add_user("bob", timezone="UTC", admin=False)
        panel = make_team(Scheduling.COLLECTIVE, [ada, bob], slug="panel", location="zoom")
        for host, calendar in ((ada, "Work"), (bob, "Home")):  # each their own calendar on one CalDAV server
            connection = calendars.connect_with_password(host, CalendarProvider.CALDAV, radicale, "ada",
                                                         RADICALE_PASSWORD)
            chosen = next(c for c in connection.calendars if c.name == calendar)
            calendars.choose(host, set(), chosen.id)
        panel_id = panel.id
    assert connect_zoom(signed_in(app)).status_code == 302
    with app.app_context():
        booking = service.book_slot(db.session.get_one(EventType, panel_id), TUESDAY_15, invitee(1))
        uid, join = booking.uid, booking.meeting.join_url
        assert booking.meeting.status == MeetingStatus.CREATED and booking.meeting.host_id == booking.host_id
        events = [booking.calendar_event, *(co.calendar_event for co in booking.co_hosts)]
        assert [event.status for event in events] == [EventStatus.WRITTEN, EventStatus.WRITTEN]
    for calendar in ("work", "home"):
        [name] = resources(radicale, calendar)
        written = requests.get(f"{radicale}/ada/{calendar}/{name}", auth=("ada", RADICALE_PASSWORD)).text
        assert join in written.replace("\r\n ", "") and "Ada and Bob" in written
    confirmations = {m["To"]: m for m in smtp.messages if "Talk to Sales" in m["Subject"]}
    assert set(confirmations) == {"invitee1@example.org", "ada@example.com", "bob@example.com"}
    assert all(join in m.get_body(("plain",)).get_content() for m in confirmations.values())
    assert "with Ada and Bob" in confirmations["invitee1@example.org"]["Subject"]

    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.uid == uid))
        service.reschedule_booking(booking, TUESDAY_15 + timedelta(days=1))
    for calendar in ("work", "home"):
        [name] = resources(radicale, calendar)
        assert "DTSTART:20261125T150000Z" in requests.get(f"{radicale}/ada/{calendar}/{name}",
                                                          auth=("ada", RADICALE_PASSWORD)).text
    moved = [m["To"] for m in smtp.messages if m["Subject"].startswith("Rescheduled")]
    assert sorted(moved) == ["ada@example.com", "bob@example.com", "invitee1@example.org"]

    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.uid == uid))
        service.cancel_booking(booking, by="invitee")
        assert booking.meeting.status == MeetingStatus.CANCELLED
    assert resources(radicale, "work") == [] and resources(radicale, "home") == []
    cancelled = [m["To"] for m in smtp.messages if m["Subject"].startswith("Cancelled")]
    assert sorted(cancelled) == ["ada@example.com", "bob@example.com", "invitee1@example.org"]


def test_the_dashboard_shows_team_bookings_with_their_hosts_filtered_by_member_and_event_type(client, app, team,
                                                                                               auth):
    with app.app_context():
        ann, bob, cy = people(team)
        talk = make_team(Scheduling.ROUND_ROBIN, [bob, cy])
        panel = make_team(Scheduling.COLLECTIVE, [ann, bob], slug="panel", title="Panel interview")
        service.book_slot(talk, TUESDAY_15, invitee(1))
        service.book_slot(talk, TUESDAY_15, invitee(2))  # Bob and Cy, one each
        service.book_slot(panel, TUESDAY_15 + timedelta(days=1), invitee(3))
        add_event_type(cy, slug="own")
        talk_id = talk.id
    auth.login("bob@example.com")  # a member: his own and co-hosted bookings
    page = client.get("/bookings").get_data(as_text=True)
    assert "Ann and Bob" in page and page.count('id="booking-') == 2
    assert 'name="member"' not in page  # only admins look at others' bookings
    auth.logout()
    auth.login("ann@example.com")  # an admin
    assert client.get("/bookings").get_data(as_text=True).count('id="booking-') == 1  # her own: the panel
    everyone = client.get("/bookings?member=team").get_data(as_text=True)
    assert everyone.count('id="booking-') == 3
    cys = client.get(f"/bookings?member={team[2]}").get_data(as_text=True)
    assert cys.count('id="booking-') == 1 and "<td data-label=\"Hosts\">Cy</td>" in cys
    talks = client.get(f"/bookings?member=team&event_type={talk_id}").get_data(as_text=True)
    assert talks.count('id="booking-') == 2 and "Panel interview" not in talks.split("<table", 1)[1]
    with app.app_context():
        theirs = db.session.scalar(select(Booking.id).where(Booking.host_id == team[2]))
    assert "Hand this booking to" in client.get(f"/bookings/{theirs}").get_data(as_text=True)  # an admin may
    auth.logout()
    auth.login("cy@example.com")
    assert client.get(f"/bookings?member=team&event_type={talk_id}").get_data(as_text=True).count('id="booking-') == 1


def test_out_of_office_lists_the_team_bookings_to_hand_over_and_round_robin_passes_by(client, app, team, auth):
    with app.app_context():
        _, bob, cy = people(team)
        talk = make_team(Scheduling.ROUND_ROBIN, [bob, cy])
        held = service.book_slot(talk, TUESDAY_15, invitee(1))
        holder = held.host.username
        holder_id, talk_id = held.host_id, talk.id
    auth.login(f"{holder}@example.com")
    response = client.post("/settings/out-of-office", data={"first_day": "2026-11-24", "last_day": "2026-11-25"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You have 1 team booking on those days" in page and "Talk to Sales with Invitee 1" in page
    assert "Tue, 24 Nov 2026 – Wed, 25 Nov 2026" in page
    bad = client.post("/settings/out-of-office", data={"first_day": "2026-11-25", "last_day": "2026-11-24"})
    assert bad.status_code == 422 and "The last day comes before the first." in bad.get_data(as_text=True)
    with app.app_context():  # the other member takes everything on those days now
        hosts = {service.book_slot(db.session.get_one(EventType, talk_id), TUESDAY_15 + timedelta(minutes=30 * n),
                                   invitee(10 + n)).host_id for n in range(1, 3)}
        assert holder_id not in hosts
    auth.logout()
    auth.login("ann@example.com")  # the admin sees what needs handing over
    teams = client.get("/teams").get_data(as_text=True)
    assert "To hand over" in teams and "is out of office that day" in teams
    auth.logout()
    auth.login(f"{holder}@example.com")
    with app.app_context():
        away_id = db.session.scalar(select(OutOfOffice.id))
    client.post(f"/settings/out-of-office/{away_id}/delete")
    assert "No days out of office ahead." in client.get("/settings/out-of-office").get_data(as_text=True)


def test_a_member_taken_off_the_team_has_their_bookings_listed_for_hand_over(client, app, team, auth):
    with app.app_context():
        ann, bob, _ = people(team)
        talk = make_team(Scheduling.ROUND_ROBIN, [ann, bob])
        service.book_slot(talk, TUESDAY_15, invitee(1))
        service.book_slot(talk, TUESDAY_15, invitee(2))
        team_id = talk.team_id
    auth.login("ann@example.com")
    assert client.post(f"/teams/{team_id}/edit", data={"name": "Sales", "slug": "sales", "description": "",
                                                       "members": [str(team[0])]}).status_code == 302
    page = client.get("/teams").get_data(as_text=True)
    assert "Bob no longer hosts Talk to Sales" in page
    with app.app_context():
        assert [chosen.user_id for chosen in db.session.get_one(EventType, talk.id).team_hosts] == [team[0]]


def test_the_kept_team_page_follows_every_members_changes(client, app, team):
    """The public page is kept (one light query per visit) until any host's time changes, the
    team is renamed, or a host is added or taken off."""
    with app.app_context():
        _, bob, _ = people(team)
        talk = make_team(Scheduling.ROUND_ROBIN, [bob])
        coffee = add_event_type(bob, slug="coffee")
        talk_id, team_id, coffee_id = talk.id, talk.team_id, coffee.id

    def shown() -> str:
        return client.get("/team/sales/talk?tz=UTC&date=2026-11-24").get_data(as_text=True)

    assert ">15:00<" in shown() and ">15:00<" in shown()  # rendered, then kept
    with app.app_context():
        service.book_slot(db.session.get_one(EventType, coffee_id), TUESDAY_15, invitee(1))
    assert ">15:00<" not in shown()  # Bob was booked elsewhere
    with app.app_context():
        from linktime.teams import service as teams

        teams.save_team("Sales and Success", "sales", "", [team[0], team[1]], db.session.get_one(Team, team_id))
    assert "Sales and Success" in shown()
    with app.app_context():
        event_type = db.session.get_one(EventType, talk_id)
        event_type.team_hosts.append(EventTypeHost(user_id=team[0]))
        from linktime.host_lock import availability_changed

        availability_changed(team[0])
        db.session.commit()
    assert ">15:00<" in shown()  # Ann is free then


def test_an_invitee_moves_a_round_robin_booking_to_a_time_its_host_is_free(client, app, team):
    with app.app_context():
        ann, bob, _ = people(team)
        talk = make_team(Scheduling.ROUND_ROBIN, [ann, bob])
        first = service.book_slot(talk, TUESDAY_15, invitee(1))
        holder, other = first.host, ann if first.host_id == bob.id else bob
        # The other member is busy at 14:00; the holder is busy at 14:30.
        service.book_slot(add_event_type(other, slug="own-o"), TUESDAY_15 - timedelta(hours=1), invitee(2))
        service.book_slot(add_event_type(holder, slug="own-h"), TUESDAY_15 - timedelta(minutes=30), invitee(3))
        token, holder_id = first.manage_token, holder.id
    page = client.get(f"/team/sales/talk?reschedule={token}&tz=UTC&date=2026-11-24").get_data(as_text=True)
    assert ">14:00<" in page and ">14:30<" not in page  # the holder's own free times, not the team's
    moved = client.post(f"/booking/{token}/reschedule", data={"start": "2026-11-24T14:00:00+00:00", "tz": "UTC"})
    assert moved.status_code == 303, moved.get_data(as_text=True)
    refused = client.post(f"/booking/{token}/reschedule", data={"start": "2026-11-24T14:30:00+00:00", "tz": "UTC"})
    assert refused.status_code == 409
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.invitee_email == "invitee1@example.org"))
        assert booking.host_id == holder_id and booking.start == TUESDAY_15 - timedelta(hours=1)


def test_the_teams_page_says_whose_bookings_would_get_no_meeting_link(client, app, team, auth):
    with app.app_context():
        make_team(Scheduling.ROUND_ROBIN, people(team)[:2], location="zoom")
    auth.login("ann@example.com")
    page = client.get("/teams").get_data(as_text=True)
    assert "Ann, Bob have not connected Zoom, so the bookings that go to them get no Zoom link." in page


def test_collective_and_a_members_own_booking_racing_for_one_time_never_both_win(tmp_path):
    """Across two worker processes, at five times at once: the panel (Ann and Bob) and Bob's own
    coffee are booked for the same instant. Each time goes to exactly one of them."""
    app = make_app(tmp_path)
    with app.app_context():
        members = [add_user(name, timezone="UTC") for name in ("ann", "bob")]
        always = {str(day): [["00:00", "24:00"]] for day in range(7)}
        panel = make_team(Scheduling.COLLECTIVE, members, slug="panel", weekly_hours=always, horizon_days=365)
        add_event_type(members[1], slug="coffee", weekly_hours=always, horizon_days=365)
        panel_id, bob_id = panel.id, members[1].id
    close_app(app)
    first = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    starts = [first + timedelta(hours=n) for n in range(5)]
    with gunicorn_serving(tmp_path, worker_config(tmp_path, WTF_CSRF_ENABLED=False), workers=2, threads=2) as url:
        barrier = threading.Barrier(len(starts) * 2)
        answers: list[tuple[str, int]] = []

        def book(path: str, start: datetime, n: int) -> None:
            barrier.wait(timeout=20)
            response = requests.post(f"{url}{path}", timeout=60, allow_redirects=False, data={
                "start": start.isoformat(), "name": f"Invitee {n}", "email": f"i{n}@example.org", "tz": "UTC"})
            answers.append((path, response.status_code))

        threads = [threading.Thread(target=book, args=(path, start, n))
                   for n, (path, start) in enumerate((path, start) for start in starts
                                                     for path in ("/team/sales/panel/book", "/bob/coffee/book"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(code for _, code in answers) == [303] * len(starts) + [409] * len(starts)
    with app.app_context():
        bobs = list(db.session.scalars(select(Booking).where(
            or_(Booking.host_id == bob_id, Booking.co_hosts.any(BookingHost.user_id == bob_id)))))
        assert sorted(b.start for b in bobs) == starts  # one booking of Bob's at each time: never two
        assert sum(b.event_type_id == panel_id for b in bobs) == sum(path.startswith("/team") and code == 303
                                                                     for path, code in answers)
    close_app(app)


def test_the_kept_team_page_shows_a_new_title_name_and_event_type(client, app, team):
    with app.app_context():
        _, bob, _ = people(team)
        talk_id = make_team(Scheduling.ROUND_ROBIN, [bob]).id
    assert "Talk to Sales" in client.get("/team/sales").get_data(as_text=True)
    assert "Talk to Sales" in client.get("/team/sales").get_data(as_text=True)  # kept
    with app.app_context():
        from linktime.accounts import service as accounts

        accounts.update_profile(db.session.get_one(User, team[1]), name="Robert", email="bob@example.com",
                                username="bob", timezone="Europe/Berlin")
    assert 'aria-label="Robert"' in client.get("/team/sales").get_data(as_text=True)
    with app.app_context():
        from linktime.host_lock import availability_changed

        db.session.get_one(EventType, talk_id).title = "Speak to Sales"
        availability_changed(team[1])  # as saving a team event type does for each of its hosts
        db.session.commit()
    assert "Speak to Sales" in client.get("/team/sales").get_data(as_text=True)


def test_a_member_whose_calendar_cannot_be_read_is_passed_by_in_round_robin_but_holds_up_collective(
        client, app, team):
    from linktime.models import CalendarConnection, ConnectedCalendar

    with app.app_context():
        ann, bob, _cy = people(team)
        make_team(Scheduling.ROUND_ROBIN, [ann, bob])
        make_team(Scheduling.COLLECTIVE, [ann, bob], slug="all")
        dead = CalendarConnection(user_id=ann.id, provider="caldav", account="ann at a dead server",
                                  server_url="http://127.0.0.1:9/")  # nobody listens there
        dead.secret = "app-password"
        dead.calendars = [ConnectedCalendar(remote_id="http://127.0.0.1:9/ann/work/", name="Work")]
        db.session.add(dead)
        db.session.commit()
    start = TUESDAY_15.isoformat()
    booked = book_form(client, "/team/sales/talk/book", start, name="Invitee", email="i@example.org", tz="UTC")
    assert booked.status_code == 303, booked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking.host_id)) == team[1]  # Bob, whose calendar was read
    together = book_form(client, "/team/sales/all/book", (TUESDAY_15 + timedelta(minutes=30)).isoformat(),
                         name="Invitee", email="j@example.org", tz="UTC")
    assert together.status_code == 503 and "could not be checked just now" in together.get_data(as_text=True)
