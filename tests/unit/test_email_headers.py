"""Subjects arrive exactly as written, whatever the language and the length (no lost spaces)."""
from email import message_from_bytes, policy

import pytest

from linktime.notifications.email import Mail

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

SUBJECTS = [
    "Confirmed: Café, Ünïcödé Chat with Ada — Wednesday, 25 November 2026, 15:00–15:30 (Europe/Berlin)",
    ("가장 높은 산, 가장 긴 강 " * 6).strip(),  # the standard library's folding glues two words here
    "ф" * 37 + " ф",
    "Reminder: " + "Ünïcödé " * 20 + "end",
    "😀 " * 40 + "done",
    "plain " * 20 + "ascii",
    "Short",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_subject_survives_the_wire(subject):
    raw = bytes(Mail(sender="LinkTime <no-reply@example.com>", to="ada@example.com", subject=subject,
                     text="x", html="<p>x</p>"))
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def parsed(mail: Mail):
    raw = bytes(mail)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b"")
    return message_from_bytes(raw, policy=policy.default)


def test_bodies_and_invite_arrive_exactly_as_written():
    text = "Hallo Zoë,\n\ntrailing space \nand a tab\t\n" + "long line " * 40 + "\n.\nFrom here\n=3D not an escape\n"
    html = "<p>Grüße — " + "x" * 300 + "</p>"
    invite = "BEGIN:VCALENDAR\r\nSUMMARY:Café\r\nEND:VCALENDAR\r\n".encode()
    message = parsed(Mail(sender="LinkTime <no-reply@example.com>", to="zoe@example.com", subject="Hi",
                          text=text, html=html, invite=invite, method="REQUEST"))
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().rstrip("\r\n") == html
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST" and calendar.get_content().encode() == invite
    attachment = next(p for p in message.walk() if p.get_filename() == "invite.ics")
    assert attachment.get_content() == invite


def test_without_an_invite_the_message_is_text_and_html():
    message = parsed(Mail(sender="LinkTime <no-reply@example.com>", to="ada@example.com", subject="Hi",
                          text="plain", html="<b>html</b>"))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize("field", ["subject", "to", "sender", "reply_to", "message_id"])
def test_no_header_can_be_added_through_a_value(field):
    values = dict(sender="LinkTime <no-reply@example.com>", to="ada@example.com", subject="Hi", reply_to="")
    values[field] = values.get(field, "") + "x\r\nBcc: victim@example.com\nX-Injected: 1"
    message = parsed(Mail(text="t", html="h", **values))
    assert message["Bcc"] is None and message["X-Injected"] is None


def test_names_outside_ascii_are_encoded_and_read_back():
    mail = Mail(sender="Zoë’s Café <bookings@example.com>", to="ada@example.com", subject="Hi", text="t", html="h",
                reply_to="Zoë <zoe@example.com>")
    assert bytes(mail).isascii()  # encoded words on the wire
    message = parsed(mail)
    assert message["From"].addresses[0].display_name == "Zoë’s Café"
    assert message["Reply-To"].addresses[0].addr_spec == "zoe@example.com"
