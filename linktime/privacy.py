"""What LinkTime reads, stores and never touches, per integration: the Data & privacy page is
written from the same scope lists the OAuth requests use, so the page cannot drift from them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from linktime.calendars.google import SCOPES as GOOGLE_SCOPES
from linktime.calendars.microsoft import SCOPES as MICROSOFT_SCOPES
from linktime.conferencing.zoom.client import SCOPE_LIST as ZOOM_SCOPES

ENCRYPTED = "encrypted at rest with AES-256-GCM"


@dataclass(frozen=True)
class Integration:
    name: str
    asks: tuple[str, ...]  # the permissions, in words (from the scopes requested)
    stores: tuple[str, ...]
    never: tuple[str, ...]
    disconnect: str


def integrations() -> list[Integration]:
    return [
        Integration(
            "Zoom",
            tuple(scope.purpose + ("" if scope.required else " (optional)") for scope in ZOOM_SCOPES),
            ("Your Zoom email address", f"The OAuth tokens, {ENCRYPTED}",
             f"Each booking's meeting number, join link and passcode, the last two {ENCRYPTED}"),
            ("Meeting recordings", "Participant information", "Meeting chat or content", "Your Zoom contacts",
             "Your Zoom settings"),
            "Disconnect deletes the email and the tokens at once and revokes LinkTime's access at Zoom. "
            "Meetings already made stay on your Zoom account, and their bookings keep their links.",
        ),
        Integration(
            "Google Calendar and Google Meet",
            tuple(scope.purpose for scope in GOOGLE_SCOPES),
            ("The Google account's email address", f"The OAuth tokens, {ENCRYPTED}",
             "The names of your calendars, with which ones you check and which one gets bookings",
             "The id of each event and Meet conference LinkTime made"),
            ("The titles, people or details of your events (only busy times are read)",
             "Events LinkTime did not make", "Your contacts, mail or files"),
            "Disconnect deletes all of it at once and revokes LinkTime's access at Google.",
        ),
        Integration(
            "Outlook Calendar",
            tuple(scope.purpose for scope in MICROSOFT_SCOPES),
            ("The Microsoft account's email address", f"The OAuth tokens, {ENCRYPTED}",
             "The names of your calendars and your choices", "The id of each event LinkTime made"),
            ("Your events' titles, people or details (only their times and free/busy state are asked for)",
             "Your mail, contacts or files"),
            "Disconnect deletes all of it at once. Microsoft offers no way for an app to give its access "
            "back, so also remove LinkTime at myapps.microsoft.com (work) or account.live.com/consent/Manage.",
        ),
        Integration(
            "CalDAV (Nextcloud, Fastmail, iCloud, Radicale…)",
            ("Read the start and end times of events in the calendars you check",
             "Add, move and delete the events LinkTime makes for your bookings"),
            ("The server's address and your username", f"The app password, {ENCRYPTED}",
             "The names of your calendars and your choices"),
            ("An event's title, people or details: the server sends whole events; LinkTime uses their "
             "times and drops the rest",),
            "Disconnect deletes all of it at once; revoke the app password at your provider too.",
        ),
    ]


def invitee_data() -> list[str]:
    """What a booking keeps about the person who booked."""
    kept = ["Name, email address and time zone", "What they wrote in the notes",
            "The booking's times, and its cancellation reason if there is one",
            "The meeting's join link and passcode (encrypted)"]
    if current_app.config.get("TWILIO_ACCOUNT_SID"):
        kept.append("A phone number, only when they ask for a text reminder (sent to Twilio to deliver it); "
                    "replying STOP ends all texts to it")
    return kept


def support_contact() -> Markup:
    """Who to ask, to follow "If it persists, …": SUPPORT_EMAIL as a link, else whoever runs this LinkTime."""
    email = current_app.config.get("SUPPORT_EMAIL")
    if email:
        return Markup(f'write to <a href="mailto:{escape(email)}">{escape(email)}</a>')
    return Markup("ask the person who runs this LinkTime for you")
