"""Email delivery: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox/.

Every message has a text and an HTML part, rendered from templates/email/<name>.txt and .html.
"""
from __future__ import annotations

import base64
import os
import smtplib
import ssl
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import EmailPolicy, default as default_policy
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app, render_template

from linktime.extensions import db
from linktime.jobs.outbox import Retry, around_batches, handler
from linktime.models import User
from linktime.urls import public_url


class MailError(Exception):
    pass


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


class EncodedHeader(str):
    """A header value already encoded for the wire (RFC 2047): stored and written as it is."""


class MailPolicy(EmailPolicy):
    """The default policy, except that an EncodedHeader is not folded again.

    The standard library's folding of encoded words drops spaces in some versions and lengths
    (CPython issues 92081 and 144156: "가장 높은 산" arrives as "가장높은산"), so subjects are encoded here.
    """

    def header_store_parse(self, name, value):
        if isinstance(value, EncodedHeader):
            return name, value
        return super().header_store_parse(name, value)


MAIL_POLICY = MailPolicy(**{name: getattr(default_policy, name) for name in ("linesep", "max_line_length", "utf8")})
# 39 bytes make a 64-character encoded word: with "Subject: " in front every line stays under 78,
# so the policy writes the lines as they are instead of folding them again.
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
    return EncodedHeader("\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words))


def build(to: str, subject: str, template: str, **context) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or formataddr(("LinkTime", "no-reply@linktime.invalid"))
    message["From"], message["To"], message["Subject"] = sender, to, encode_header(subject)
    message["Message-ID"] = make_msgid(domain="linktime")
    message["Date"] = datetime.now(UTC)
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message


def deliver(message: EmailMessage) -> None:
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
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from None


# This thread's batch: one SMTP connection, opened for its first message, for all its messages.
_sending = threading.local()


@around_batches
@contextmanager
def one_connection_per_batch():
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


def _send_in_batch(message: EmailMessage) -> None:
    for attempt in (1, 2):
        reused = _sending.smtp is not None
        try:
            if not reused:
                _sending.smtp = smtp_session()
            _sending.smtp.send_message(message)
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


def smtp_session(timeout: float = 20) -> smtplib.SMTP:
    """A connection to MAIL_SERVER, greeted (EHLO), with STARTTLS and login as configured."""
    config = current_app.config
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 25))
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


@handler("email.zoom_attention")
def zoom_attention(user_id: int, reason: str) -> None:
    """Tell a host, once, that their Zoom connection needs reconnecting."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    message = build(user.email, "Zoom needs your attention in LinkTime", "zoom_attention",
                    user=user, reason=reason, url=public_url("accounts.integrations"))
    try:
        deliver(message)
    except MailError as exc:
        raise Retry(str(exc)) from None
