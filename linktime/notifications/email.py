"""Email delivery: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox/.

Every message has a text and an HTML part, rendered from templates/email/<name>.txt and .html.
"""
from __future__ import annotations

import base64
import binascii
import os
import secrets
import smtplib
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from linktime.formatting import clock_of_reader, reader_chosen


class MailError(Exception):
    pass


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


# 39 bytes make a 64-character encoded word: with "Subject: " in front every line stays under 78.
# Subjects are encoded here because the standard library's folding of encoded words drops spaces
# in some versions (CPython issues 92081 and 144156: "가장 높은 산" arrives as "가장높은산").
WORD_BYTES = 39


def encode_header(text: str) -> str:
    """Short plain ASCII as it is; anything else as whole encoded words, spaces inside them."""
    if text.isascii() and len(text) <= 60:  # fits on the Subject line: nothing to fold
        return text
    words, chunk = [], b""
    for char in text:  # never split one character's bytes across two words
        encoded = char.encode()
        if len(chunk) + len(encoded) > WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def one_line(text: str) -> str:
    """A header value on one line: line breaks and other control characters become spaces."""
    return " ".join(text.translate(_CONTROLS).split()) if not text.isprintable() else text


_CONTROLS = dict.fromkeys((*range(32), 127), " ")


def _address(value: str) -> str:
    """An address header: a display name outside ASCII is written as encoded words (RFC 2047)."""
    value = one_line(value)
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address)) if address.isascii() else value  # SMTPUTF8 carries the rest


def _text_part(content_type: str, text: str) -> bytes:
    # CRLF line ends throughout, the last one included: b2a_qp breaks long lines as the first line ends.
    lines = text.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n") + "\r\n"
    body = binascii.b2a_qp(lines.encode(), istext=True)
    return (f"Content-Type: {content_type}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + body


def _base64_part(headers: str, data: bytes) -> bytes:
    return (headers + "Content-Transfer-Encoding: base64\r\n\r\n").encode() \
        + base64.encodebytes(data).replace(b"\n", b"\r\n")


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"=_linktime_{secrets.token_hex(12)}"
    # Each part ends with its own CRLF; the one before the next boundary belongs to the boundary.
    middle = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return (f"Content-Type: multipart/{subtype};\r\n boundary=\"{boundary}\"\r\n\r\n").encode() \
        + middle + b"--" + boundary.encode() + b"--\r\n"


@dataclass
class Mail:
    """One message: a text and an HTML body, and perhaps a calendar invite.

    Written to the wire by hand (RFC 5322, 2045–2047) in the one shape every LinkTime message has:
    multipart/alternative of text and HTML (and text/calendar), inside multipart/mixed with the
    invite as a file when there is one. The standard library's EmailMessage parses each header
    it is given and again each one it writes, several times the cost of writing the message.
    """

    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str = field(default_factory=lambda: make_msgid(domain="linktime"))
    date: datetime = field(default_factory=lambda: datetime.now(UTC))
    invite: bytes | None = None
    method: str = ""  # the invite's iTIP method: REQUEST or CANCEL
    reply_to: str = ""

    @property
    def envelope_sender(self) -> str:
        return parseaddr(one_line(self.sender))[1]

    def __bytes__(self) -> bytes:
        headers = [("From", _address(self.sender)), ("To", _address(self.to))]
        if self.reply_to:
            headers.append(("Reply-To", _address(self.reply_to)))
        headers += [("Subject", encode_header(one_line(self.subject))), ("Date", format_datetime(self.date)),
                    ("Message-ID", one_line(self.message_id)), ("MIME-Version", "1.0")]
        alternatives = [_text_part("text/plain", self.text), _text_part("text/html", self.html)]
        if self.invite is None:
            body = _multipart("alternative", alternatives)
        else:
            alternatives.append(_base64_part(
                f"Content-Type: text/calendar; charset=\"UTF-8\";\r\n method=\"{self.method}\"\r\n", self.invite))
            body = _multipart("mixed", [_multipart("alternative", alternatives), _base64_part(
                "Content-Type: application/ics; name=\"invite.ics\"\r\n"
                "Content-Disposition: attachment; filename=\"invite.ics\"\r\n", self.invite)])
        return "".join(f"{name}: {value}\r\n" for name, value in headers).encode() + body


def build(to: str, subject: str, template: str, **context: Any) -> Mail:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or formataddr(("LinkTime", "no-reply@linktime.invalid"))
    # Whoever's request wrote it, the addressee reads it: the caller may have said how they read.
    with nullcontext() if reader_chosen() else clock_of_reader(24):
        return Mail(sender=sender, to=to, subject=subject, text=render_template(f"email/{template}.txt", **context),
                    html=render_template(f"email/{template}.html", **context))


def deliver(message: Mail) -> None:
    """Send over SMTP, or write to the local outbox when no mail server is configured."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = outbox_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        # Messages hold join links and passcodes: readable by LinkTime's own user only.
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(message))
        return
    if getattr(_sending, "open", False):
        _send_in_batch(message)
        return
    try:
        with smtp_session() as smtp:
            _send(smtp, message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from None


# This thread's batch: one SMTP connection, opened for its first message, for all its messages.
_sending = threading.local()


@contextmanager
def one_connection_per_batch() -> Iterator[None]:
    """Messages sent by this thread within the block share one SMTP connection."""
    if getattr(_sending, "open", False):  # already inside a batch: it keeps its connection
        yield
        return
    _sending.open, _sending.smtp = True, None
    try:
        yield
    finally:
        _sending.open = False
        _close_batch_connection(polite=True)


def _close_batch_connection(*, polite: bool = False) -> None:
    smtp, _sending.smtp = getattr(_sending, "smtp", None), None
    if smtp is None:
        return
    try:
        smtp.quit() if polite else smtp.close()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _send_in_batch(message: Mail) -> None:
    for attempt in (1, 2):
        reused = _sending.smtp is not None
        try:
            if not reused:
                _sending.smtp = smtp_session()
            _send(_sending.smtp, message)
            return
        except smtplib.SMTPServerDisconnected as exc:
            _close_batch_connection()
            # Servers close connections that sat idle; smtplib then fails at MAIL FROM, before the
            # message went out, so one more try on a new connection is the usual cure. (A hang-up
            # after the message went out is a resend either way: the job's retry would send it too.)
            if reused and attempt == 1:
                continue
            raise MailError(f"{type(exc).__name__}: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:  # the connection is fine: only this message failed
            raise MailError(f"{type(exc).__name__}: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_batch_connection()
            raise MailError(f"{type(exc).__name__}: {exc}") from None


def _send(smtp: smtplib.SMTP, message: Mail) -> None:
    """MAIL FROM, RCPT TO, DATA; SMTPUTF8 when an address is not ASCII (as send_message does)."""
    sender, data = message.envelope_sender, bytes(message)
    international = not (sender.isascii() and message.to.isascii())
    smtp.sendmail(sender, [one_line(message.to)], data,
                  mail_options=["SMTPUTF8", "BODY=8BITMIME"] if international else [])


def smtp_session(timeout: float = 20) -> smtplib.SMTP:
    """A connection to MAIL_SERVER, greeted (EHLO), with STARTTLS and login as configured."""
    config = current_app.config
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 25))
    smtp: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], port, timeout=timeout)
    try:
        smtp.ehlo()
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp

