"""Subjects arrive exactly as written, whatever the language and the length (no lost spaces)."""
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from linktime.notifications.email import MAIL_POLICY, encode_header

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
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = encode_header(subject)
    message.set_content("x")
    raw = bytes(message)
    assert all(len(line) <= 78 for line in raw.split(b"\n"))
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
