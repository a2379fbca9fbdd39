"""Every page and message an invitee meets, in each language LinkTime speaks: no English left in it
(neither a catalogue entry left untranslated nor words never marked for translation)."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from linktime.extensions import db
from linktime.formatting import clock_of_reader
from linktime.i18n import TRANSLATIONS
from linktime.jobs.runner import dispatch
from linktime.models import Booking, EventTypeHost, Team, TeamMember
from linktime.notifications import ics, sms
from tests.helpers import add_event_type, add_user, book_form
from tests.web.test_notifications import WEDNESDAY_9, html_of, text_of

OTHERS = ["de", "fr", "es", "pt", "ja"]
# Words of English a translated page must not hold, once the host's and invitee's own words are gone.
# (Capitalised nouns such as "Link", "Meeting" and "Name" are German too: those are matched in lower case only.)
ENGLISH = re.compile(r"\b(the|your|you|with|and|time|times|booking|book|pick|confirm|cancel|change|free|day|"
                     r"month|meeting|link|session|sessions|when|where|what|invitee|guests?|notes?|reason|"
                     r"calendar|email|name|please|minutes?|zone|clock|previous|next|"
                     r"The|Your|You|Pick|Confirm|Cancel|Change|Book|Booked|When|Where|What|Please|Reschedule)\b")
DATA = ["Ada", "Intro Call", "Bea Invitee", "bea@example.com", "cy@example.com", "Company", "Acme", "LinkTime",
        "Zoom", "UTC", "Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian",
        "Antarctica", "Arctic", "Universal", "STOP", "SMS", "WhatsApp", ".ics", "Google Calendar", "Outlook",
        "Yes", "12h", "24h"]
# English words that are words of the language too.
LOANWORDS = {"pt": {"link"}, "fr": {"change", "minute", "minutes", "note", "notes", "session", "sessions"}}


def english_messages() -> list[re.Pattern]:
    """Each catalogue message of two words or more, as a pattern (placeholders match anything)."""
    patterns = []
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        catalogue = read_po(pot)
    for message in catalogue:
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            words = re.sub(r"%\(\w+\)[sd]", " ", text or "")
            if len(re.findall(r"[A-Za-z]{2,}", words)) >= 2:
                parts = [re.escape(part) for part in re.split(r"%\(\w+\)[sd]", text)]
                patterns.append(re.compile(r".+?".join(part for part in parts if part.strip())))
    return patterns


MESSAGES = english_messages()


def visible(page: str) -> str:
    """What a reader meets: the text, and the words in labels, titles and placeholders."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<option\b[^>]*>.*?</option>", " ", page, flags=re.S)  # the zone list: city names
    said = re.findall(r'(?:aria-label|placeholder|title|data-announce|data-now-text|data-placeholder)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *said])).replace("{time}", " ")  # a script's placeholder


def english_left(text: str, code: str, data: list[str] = DATA) -> list[str]:
    """The catalogue's English messages found in ``text``, and English words, once ``data`` (the
    records' own words and names that stay as they are) is taken out."""
    for word in sorted(data, key=len, reverse=True):
        text = text.replace(word, " ")
    found = [pattern.pattern for pattern in MESSAGES if pattern.search(text)]
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return found + sorted({match.group(0) for match in ENGLISH.finditer(text)} - LOANWORDS.get(code, set()))


@pytest.fixture
def booked(mail_app, smtp, clock):
    with mail_app.app_context():
        host = add_user("ada")
        questions = [{"id": "q1", "label": "Company", "kind": "short", "required": True, "options": []}]
        add_event_type(host, questions=questions, max_guests=1, repeat_weeks=1, repeat_max=3)
        team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=host.id)])
        db.session.add(team)
        db.session.flush()
        add_event_type(host, slug="demo", title="Demo", team_id=team.id, scheduling="round_robin",
                       team_hosts=[EventTypeHost(user_id=host.id)])
    return mail_app


@pytest.mark.parametrize("code", OTHERS)
def test_every_page_and_message_of_an_invitee_is_in_their_language(booked, smtp, clock, code):
    app = booked
    client = app.test_client()
    pages = {}
    pages["event"] = client.get(f"/ada/intro-call?lang={code}&tz=Europe/Berlin&date=2026-11-25").get_data(as_text=True)
    pages["host"] = client.get("/ada").get_data(as_text=True)
    pages["form"] = client.get("/ada/intro-call/book?start=" + WEDNESDAY_9.replace("+", "%2B")).get_data(as_text=True)
    wrong = book_form(client, "/ada/intro-call/book", WEDNESDAY_9, name="", email="nope", tz="Europe/Berlin")
    pages["form with errors"] = wrong.get_data(as_text=True)
    done = book_form(client, "/ada/intro-call/book", WEDNESDAY_9, name="Bea Invitee", email="bea@example.com",
                     tz="Europe/Berlin", answer_q1="Acme", guests="cy@example.com")
    assert done.status_code == 303, done.get_data(as_text=True)
    pages["confirmation"] = client.get(done.location).get_data(as_text=True)
    token = done.location.split("/booking/")[1].split("?")[0]
    taken = book_form(client, "/ada/intro-call/book", WEDNESDAY_9, key="", name="Other", email="o@example.com",
                      tz="Europe/Berlin", answer_q1="Acme")
    pages["time taken"] = taken.get_data(as_text=True)
    pages["reschedule"] = client.get(f"/booking/{token}/reschedule?start=2026-11-26T14:00:00%2B00:00").get_data(
        as_text=True)
    pages["cancel"] = client.get(f"/booking/{token}/cancel").get_data(as_text=True)
    pages["team"] = client.get("/team/sales").get_data(as_text=True)
    pages["team event"] = client.get("/team/sales/demo?tz=Europe/Berlin&date=2026-11-25").get_data(as_text=True)
    with app.app_context():
        dispatch()  # the confirmations
    moved = client.post(f"/booking/{token}/reschedule", data={"start": "2026-11-26T14:00:00+00:00",
                                                              "tz": "Europe/Berlin", "reason": "Krank"})
    assert moved.status_code == 303, moved.get_data(as_text=True)
    with app.app_context():
        dispatch()
    clock.move_to(datetime(2026, 11, 25, 14, 0, 10, tzinfo=UTC))  # a day before the new time
    with app.app_context():
        dispatch()
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.invitee_locale.startswith(code)
        with clock_of_reader(24, booking.invitee_locale):  # as the invitee's messages are written
            messages = {"invitation": ics.description(booking)}
        messages["text reminder"] = sms.reminder_text(booking)
        dispatch()
    client.post(f"/booking/{token}/cancel", data={"reason": "Krank"})
    pages["cancelled"] = client.get(f"/booking/{token}").get_data(as_text=True)
    with app.app_context():
        dispatch()
    # The confirmation, her link again (someone else asked for her time), the move, the reminder, the cancellation.
    mails = smtp.to("bea@example.com")
    assert len(mails) == 5, [m["Subject"] for m in mails]
    for kind, message in (("confirmation", mails[0]), ("guest", smtp.to("cy@example.com")[0]), ("link again", mails[1]),
                          ("rescheduled", mails[2]), ("reminder", mails[3]), ("cancellation", mails[4])):
        messages[f"{kind} email"] = message["Subject"] + "\n" + text_of(message)
        messages[f"{kind} email (html)"] = visible(html_of(message))
    found = {name: english_left(visible(page), code) for name, page in pages.items()}
    found.update({name: english_left(text, code) for name, text in messages.items()})
    assert {name: words for name, words in found.items() if words} == {}


def test_a_kept_page_carries_none_of_a_strangers_query_in_its_language_links(app, clock):
    with app.app_context():
        add_event_type(add_user("ada"))
    first = app.test_client().get("/ada/intro-call?tz=UTC&clock=12&next=https://evil.example&x=1")
    assert "evil.example" not in first.get_data(as_text=True)
    later = app.test_client().get("/ada/intro-call?tz=UTC").get_data(as_text=True)
    links = re.findall(r'href="([^"]*lang=de[^"]*)"', later)
    assert links and all("evil" not in link and "x=1" not in link for link in links)
