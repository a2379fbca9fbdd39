"""SMS and WhatsApp reminders through Twilio's REST API, when TWILIO_* is configured.

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
Replies of STOP are honoured twice over: Twilio blocks the number (error 21610, which we record),
and its inbound webhook tells us, so LinkTime stops queueing messages to that number.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from importlib import resources

import phonenumbers
import requests
from flask import current_app
from phonenumbers import PhoneNumberType
from sqlalchemy import delete, select
from twilio.request_validator import RequestValidator

from linktime.extensions import db
from linktime.formatting import clock_of_reader, format_when
from linktime.i18n import gettext
from linktime.jobs.outbox import GiveUp, Retry
from linktime.models import Booking, SmsOptOut, now_utc
from linktime.notifications.ics import join_url, where

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP", "YES"}
UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient"


class NotAMobile(ValueError):
    """The number is not a mobile number in one of the countries the host allows."""


def normalise_phone(text: str, regions: Iterable[str] = ()) -> str:
    """'+1 415 555 0100' → '+14155550100' for a valid mobile number in ``regions`` (ISO codes).

    Only mobile numbers: a premium-rate or shared-cost number never gets a text from us.
    """
    allowed = sorted({region.upper() for region in regions})
    if not text or len(text) > 30:
        raise NotAMobile(gettext("Enter the mobile number with its country code, like +44 7700 900123."))
    try:
        number = phonenumbers.parse(text, allowed[0] if len(allowed) == 1 else None)
    except phonenumbers.NumberParseException:
        raise NotAMobile(gettext("Enter the mobile number with its country code, like +44 7700 900123.")) from None
    mobile = phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or not mobile:
        raise NotAMobile(gettext("That is not a mobile number. Enter a mobile number with its country code."))
    if phonenumbers.region_code_for_number(number) not in allowed:
        raise NotAMobile(gettext("Text reminders go only to mobile numbers in %(countries)s.",
                                 countries=", ".join(allowed))
                         if allowed else gettext("Text reminders are not offered for any country yet."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_regions(text: str) -> list[str]:
    """'us, GB de' → ['DE', 'GB', 'US']; ValueError naming a code phonenumbers does not know."""
    codes = sorted({code.upper() for code in re.split(r"[\s,;]+", text or "") if code})
    unknown = [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(gettext("Unknown country code: %(codes)s. Use two-letter codes like US, GB, DE.",
                                 codes=", ".join(unknown)))
    return codes


def region_of_zone(zone: str) -> str:
    """The country of a time zone (America/New_York → US), from tzdata's zone table; '' if none."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text()
    for line in table.splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3 and fields[2] == zone:
            return fields[0].split(",")[0]
    return ""


def configured(channel: str | None = None) -> bool:
    config = current_app.config
    if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
        return False
    if channel == "whatsapp":
        return bool(config.get("TWILIO_WHATSAPP_FROM"))
    if channel == "sms":
        return bool(config.get("TWILIO_FROM_NUMBER"))
    return bool(config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_WHATSAPP_FROM"))


def channels() -> list[str]:
    return [c for c in ("sms", "whatsapp") if configured(c)]


def opted_out(phone: str) -> bool:
    return db.session.scalar(select(SmsOptOut.id).where(SmsOptOut.phone == phone)) is not None


def record_reply(phone: str, body: str) -> None:
    """An inbound message: STOP opts the number out, START opts it back in."""
    word = (body or "").strip().upper()
    phone = phone.removeprefix("whatsapp:")
    if word in STOP_WORDS and not opted_out(phone):
        db.session.add(SmsOptOut(phone=phone))
    elif word in START_WORDS:
        db.session.execute(delete(SmsOptOut).where(SmsOptOut.phone == phone))
    db.session.commit()


def valid_signature(url: str, params: dict[str, str], signature: str) -> bool:
    """Twilio's X-Twilio-Signature, checked by the twilio package's own validator."""
    validator = RequestValidator(current_app.config.get("TWILIO_AUTH_TOKEN") or "")
    return bool(signature) and validator.validate(url, params, signature)


def send(to: str, body: str, channel: str) -> str:
    """Send one message; returns Twilio's message SID."""
    config = current_app.config
    sid = config["TWILIO_ACCOUNT_SID"]
    base = str(config.get("TWILIO_API_URL") or "https://api.twilio.com").rstrip("/")
    sender = config["TWILIO_WHATSAPP_FROM"] if channel == "whatsapp" else config["TWILIO_FROM_NUMBER"]
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    try:
        response = requests.post(
            f"{base}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": prefix + to, "From": prefix + sender.removeprefix("whatsapp:"), "Body": body},
            auth=(sid, config["TWILIO_AUTH_TOKEN"]), timeout=15,
        )
    except requests.RequestException as exc:
        raise Retry(f"Twilio could not be reached: {type(exc).__name__}") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code in (200, 201):
        return str(data.get("sid", ""))
    if data.get("code") == UNSUBSCRIBED:
        if not opted_out(to):
            db.session.add(SmsOptOut(phone=to))
            db.session.commit()
        raise GiveUp("the recipient replied STOP")
    message = str(data.get("message") or f"HTTP {response.status_code}")
    if response.status_code == 429 or response.status_code >= 500:
        raise Retry(f"Twilio: {message}")
    raise GiveUp(f"Twilio refused the message: {message}")


def reminder_text(booking: Booking) -> str:
    link = join_url(booking)
    with clock_of_reader(booking.invitee_hours or 24, booking.invitee_locale or None):
        place = (" " + gettext("Join: %(link)s", link=link) if link else
                 " " + gettext("Where: %(place)s.", place=where(booking)) if where(booking) else "")
        return gettext("Reminder: %(title)s with %(host)s, %(when)s.", title=booking.title, host=booking.host.name,
                       when=format_when(booking.start, booking.invitee_timezone)) + place + " " + gettext(
            "Change or cancel: %(link)s Reply STOP to stop these messages.", link=booking.manage_url)


def send_reminder(booking_id: int, offset: int, for_start: str) -> None:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.is_cancelled or not booking.invitee_phone:
        return
    if booking.start != datetime.fromisoformat(for_start) or booking.start <= now_utc():
        return  # moved (new reminders were queued) or already begun
    if opted_out(booking.invitee_phone) or not configured(booking.reminder_channel or "sms"):
        return
    send(booking.invitee_phone, reminder_text(booking), booking.reminder_channel or "sms")
