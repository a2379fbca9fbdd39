"""The host's own booking questions and the invitee's guests: asked, checked, kept, and passed on."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, EventType
from tests.helpers import add_user, book_form, calendar_of
from tests.web.test_event_types import FORM
from tests.web.test_notifications import WEDNESDAY_9, text_of

QUESTIONS = {
    "questions-0-text": "Company", "questions-0-kind": "short", "questions-0-required": "y",
    "questions-0-position": "2",
    "questions-1-text": "Topic", "questions-1-kind": "choice", "questions-1-options": "Pricing\nSupport\n",
    "questions-1-required": "y", "questions-1-position": "1",
    "questions-2-text": "Number to call", "questions-2-kind": "phone",
    "questions-3-text": "I have read the agenda", "questions-3-kind": "checkbox", "questions-3-required": "y",
    "questions-4-text": "",  # an empty row is no question
    "max_guests": "2",
}


@pytest.fixture
def ada(mail_app, clock):
    client = mail_app.test_client()
    with mail_app.app_context():
        add_user("ada")
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    answer = client.post("/event-types/new", data={**FORM, "wednesday": "09:00-17:00", **QUESTIONS})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def answer_fields(app) -> dict[str, str]:
    with app.app_context():
        asked = db.session.scalar(select(EventType)).questions
    return {q["label"]: f"answer_{q['id']}" for q in asked}


def test_the_form_asks_in_the_hosts_order_and_checks_each_answer(ada, mail_app):
    with mail_app.app_context():
        asked = db.session.scalar(select(EventType)).questions
    assert [q["label"] for q in asked] == ["Topic", "Company", "Number to call", "I have read the agenda"]
    assert asked[0]["options"] == ["Pricing", "Support"] and asked[2]["required"] is False
    names = answer_fields(mail_app)
    page = ada.get(f"/ada/intro-call/book?start={WEDNESDAY_9.replace('+', '%2B')}").get_data(as_text=True)
    assert page.index("Topic") < page.index("Company") < page.index("Number to call")
    assert "Up to 2 email addresses, one per line." in page
    wrong = book_form(ada, "/ada/intro-call/book", WEDNESDAY_9, name="Bea", email="bea@example.com", tz="UTC",
                      **{names["Topic"]: "Free lunch", names["Number to call"]: "12",
                         "guests": "cy@example.com, not-an-address"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    for message in ("Choose one of the options.", "Please answer this question.", "Please tick this box to go on.",
                    "Enter the number with its country code", "“not-an-address” is not an email address."):
        assert message in text
    assert 'value="Bea"' in text  # nothing typed is lost
    too_many = book_form(ada, "/ada/intro-call/book", WEDNESDAY_9, name="Bea", email="bea@example.com", tz="UTC",
                         guests="a@example.com\nb@example.com\nc@example.com")
    assert "You can bring at most 2 guests." in too_many.get_data(as_text=True)
    with mail_app.app_context():
        assert db.session.scalar(select(Booking)) is None


def test_answers_and_guests_reach_the_booking_the_hosts_email_and_every_invitation(ada, mail_app, smtp):
    names = answer_fields(mail_app)
    done = book_form(ada, "/ada/intro-call/book", WEDNESDAY_9, name="Bea Invitee", email="bea@example.com",
                     tz="Europe/Berlin", **{names["Topic"]: "Support", names["Company"]: "Acme GmbH",
                                            names["Number to call"]: "+49 30 901820",
                                            names["I have read the agenda"]: "y",
                                            "guests": "Cy@Example.com\nbea@example.com\ncy@example.com"})
    assert done.status_code == 303, done.get_data(as_text=True)
    with mail_app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.answer_list == [("Topic", "Support"), ("Company", "Acme GmbH"),
                                       ("Number to call", "+49 30 901820"), ("I have read the agenda", "Yes")]
        assert booking.guest_list == ["cy@example.com"]  # once, and never the invitee's own address
        number = booking.id
        dispatch()
    page = ada.get(f"/bookings/{number}").get_data(as_text=True)
    assert "Acme GmbH" in page and '<dd id="guests">cy@example.com</dd>' in page
    assert "Topic: Support" in ada.get("/bookings").get_data(as_text=True)
    to_host = text_of(smtp.to("ada@example.com")[0])
    assert "Company: Acme GmbH" in to_host and "Number to call: +49 30 901820" in to_host
    assert "Guests: cy@example.com" in to_host
    guest = smtp.to("cy@example.com")[0]
    assert "Bea Invitee added you as a guest to Intro Call with Ada" in text_of(guest)
    assert "/booking/" not in text_of(guest)  # the invitee's own link to change it stays theirs
    event = calendar_of(guest)[0].walk("VEVENT")[0]
    assert "mailto:cy@example.com" in [str(a) for a in event.get("ATTENDEE")]
    assert "Acme GmbH" not in str(event["DESCRIPTION"])  # answers are for the host
    assert "Acme GmbH" not in text_of(smtp.to("bea@example.com")[0])


def test_the_host_reorders_and_removes_questions(ada, mail_app):
    with mail_app.app_context():
        asked = db.session.scalar(select(EventType)).questions
    form = ada.get("/event-types/1/edit").get_data(as_text=True)
    assert form.count('name="questions-') >= 6 * 6  # four questions and two empty rows, six fields each
    rows = {f"questions-{i}-{name}": str(q[key] if key != "options" else "\n".join(q[key]))
            for i, q in enumerate(asked)
            for name, key in (("key", "id"), ("text", "label"), ("kind", "kind"), ("options", "options"))}
    rows.update({"questions-0-text": "", "questions-3-position": "1", "questions-3-required": "y"})
    assert ada.post("/event-types/1/edit", data={**FORM, **rows}).status_code == 302
    with mail_app.app_context():
        kept = db.session.scalar(select(EventType)).questions
    assert [q["label"] for q in kept] == ["I have read the agenda", "Company", "Number to call"]
    assert kept[1]["id"] == asked[1]["id"]  # a question keeps its identity when moved
