"""Handing a round-robin booking to another member: the meeting moves to the new host's Zoom
account exactly once — made there, then deleted at the old one — under the faults Zoom produces;
the calendar events and the people follow."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import Booking, EventType, Meeting, MeetingStatus, OutOfOffice, Scheduling
from tests.helpers import add_user, book_form, connect_zoom, signed_in
from tests.web.test_exactly_once import wait_for
from tests.web.test_interleavings import CREATE, live_meetings, settle
from tests.web.test_teams import make_team

START = "2026-11-24T15:00:00+00:00"  # Tuesday: the clock fixture's Monday is 23 November 2026
EMAILS = {"ann": "ann@zoom-sandbox.test", "bob": "bob@zoom-sandbox.test"}


@pytest.fixture
def sales(mail_app, smtp, clock):
    """Ann (admin) and Bob, each with their own Zoom account, host a round-robin Zoom event type;
    one booking, made and settled. Returns (the booking's id, its host's name, the other's)."""
    app = mail_app
    with app.app_context():
        ann, bob = add_user("ann", timezone="UTC"), add_user("bob", timezone="UTC", admin=False)
        make_team(Scheduling.ROUND_ROBIN, [ann, bob], location="zoom")
    for name in ("ann", "bob"):
        assert connect_zoom(signed_in(app, f"{name}@example.com"), email=EMAILS[name]).status_code == 302
    response = book_form(app.test_client(), "/team/sales/talk/book", START, name="Bea", email="bea@example.com",
                         tz="UTC")
    assert response.status_code == 303, response.get_data(as_text=True)
    settle(app, clock)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        host = booking.host.username
        return booking.id, host, "bob" if host == "ann" else "ann"


def member_id(app, username: str) -> int:
    from linktime.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def hand_over(app, booking_id: int, to: str, *, as_: str = "ann"):
    client = signed_in(app, f"{as_}@example.com")
    return client.post(f"/bookings/{booking_id}/reassign", data={"member": member_id(app, to)})


def the_one_meeting(sandbox, to: str) -> dict:
    [meeting] = live_meetings(sandbox)
    assert meeting["host_email"] == EMAILS[to]
    assert meeting["start_time"].startswith("2026-11-24T15:00:00")
    return meeting


def test_a_hand_over_moves_the_meeting_to_the_new_hosts_account_once(mail_app, sandbox, smtp, clock, sales):
    booking_id, host, other = sales
    before = smtp.messages[:]
    assert hand_over(mail_app, booking_id, other).status_code == 303
    settle(mail_app, clock)
    made = the_one_meeting(sandbox, other)
    with mail_app.app_context():
        booking = db.session.get_one(Booking, booking_id)
        assert booking.host.username == other and booking.meeting.external_id == str(made["id"])
        assert booking.meeting.host_id == booking.host_id and booking.meeting.is_created
        old = db.session.scalar(select(Meeting).where(Meeting.id != booking.meeting_id))
        assert old.status == MeetingStatus.CANCELLED and old.in_sync
        link = booking.meeting.join_url
    sent = {(m["To"], m["Subject"].split(":")[0]) for m in smtp.messages if m not in before}
    assert ("bea@example.com", "Now with " + other.title()) in sent
    assert (f"{other}@example.com", "New booking") in sent
    assert (f"{host}@example.com", f"Handed over to {other.title()}") in sent
    new_link = [m for m in smtp.messages if m not in before and m["To"] == "bea@example.com"
                and link in m.get_body(("plain",)).get_content()]
    assert new_link, "the invitee is sent the new meeting's link"


def test_a_create_lost_at_the_new_account_still_ends_with_one_meeting(mail_app, sandbox, smtp, clock, sales):
    booking_id, _, other = sales
    sandbox.state.add_fault("lost_answer", **CREATE)
    sandbox.state.add_fault("rate_limit", method="GET", path="/v2/users/me/meetings")  # and the look-up, 429
    assert hand_over(mail_app, booking_id, other).status_code == 303
    settle(mail_app, clock)
    made = the_one_meeting(sandbox, other)
    with mail_app.app_context():
        assert db.session.get_one(Booking, booking_id).meeting.external_id == str(made["id"])


def test_a_create_held_at_the_new_account_keeps_the_old_link_until_it_lands(mail_app, sandbox, smtp, clock, sales):
    booking_id, host, other = sales
    hold = sandbox.state.add_fault("hold", seconds=30, **CREATE)
    assert hand_over(mail_app, booking_id, other).status_code == 303  # our create times out; Zoom holds it
    assert hold.arrived.is_set()
    [still] = live_meetings(sandbox)
    assert still["host_email"] == EMAILS[host]  # the invitee's link still works meanwhile
    with mail_app.app_context():
        assert db.session.get_one(Booking, booking_id).meeting.external_id == str(still["id"])
    hold.release.set()
    wait_for(lambda: len(sandbox.state.meetings) == 2)
    settle(mail_app, clock)
    the_one_meeting(sandbox, other)


def test_a_cancel_during_the_hand_over_leaves_nothing_at_zoom(mail_app, sandbox, smtp, clock, sales):
    booking_id, _, other = sales
    hold = sandbox.state.add_fault("hold", seconds=30, **CREATE)
    assert hand_over(mail_app, booking_id, other).status_code == 303
    with mail_app.app_context():
        token = db.session.get_one(Booking, booking_id).manage_token
    assert mail_app.test_client().post(f"/booking/{token}/cancel", data={"reason": ""}).status_code == 303
    hold.release.set()
    wait_for(lambda: len(sandbox.state.meetings) == 2)
    settle(mail_app, clock)
    assert live_meetings(sandbox) == []


def test_a_member_who_is_not_free_or_has_no_zoom_is_refused_with_a_reason(mail_app, sandbox, smtp, clock, sales):
    booking_id, host, other = sales
    with mail_app.app_context():
        db.session.add(OutOfOffice(user_id=member_id(mail_app, other), first_day=datetime(2026, 11, 24).date(),
                                   last_day=datetime(2026, 11, 24).date()))
        db.session.commit()
    client = signed_in(mail_app, "ann@example.com")
    page = client.post(f"/bookings/{booking_id}/reassign", data={"member": member_id(mail_app, other)},
                       follow_redirects=True).get_data(as_text=True)
    assert "They are not free at this booking" in page
    with mail_app.app_context():
        assert db.session.get_one(Booking, booking_id).host.username == host
        cy = add_user("cy", timezone="UTC", admin=False)
        event_type = db.session.scalar(select(EventType))
        from linktime.models import EventTypeHost, TeamMember

        event_type.team.members.append(TeamMember(user_id=cy.id))
        event_type.team_hosts.append(EventTypeHost(user_id=cy.id))
        db.session.commit()
    client = signed_in(mail_app, "ann@example.com")
    answer = client.post(f"/bookings/{booking_id}/reassign", data={"member": member_id(mail_app, "cy")},
                         follow_redirects=True)
    assert "Cy has not connected Zoom" in answer.get_data(as_text=True)
    # A member who neither hosts it nor is an admin cannot even see it.
    assert signed_in(mail_app, "cy@example.com").post(
        f"/bookings/{booking_id}/reassign", data={"member": member_id(mail_app, "cy")}).status_code == 404
    assert len(live_meetings(sandbox)) == 1
