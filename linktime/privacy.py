"""What LinkTime reads, stores and never touches, per integration (``Integration``: each provider
states its own next to the scope list its OAuth requests use, so the Data & privacy page cannot
drift from them; ``linktime/integrations.py`` gathers them), and what a booking keeps of the invitee."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from linktime.i18n import gettext, lazy_gettext

ENCRYPTED = lazy_gettext("encrypted at rest with AES-256-GCM")


@dataclass(frozen=True)
class Integration:
    name: str
    asks: tuple[str, ...]  # the permissions, in words (from the scopes requested)
    stores: tuple[str, ...]
    never: tuple[str, ...]
    disconnect: str


def invitee_data() -> list[str]:
    """What a booking keeps about the person who booked."""
    kept = [gettext("Name, email address and time zone"), gettext("What they wrote in the notes and the answers to "
                                                                   "the host's questions, and the guests they added"),
            gettext("The booking's times, and its cancellation reason if there is one"),
            gettext("The meeting's join link and passcode (encrypted)")]
    if current_app.config.get("TWILIO_ACCOUNT_SID"):
        kept.append(gettext("A phone number, only when they ask for a text reminder (sent to Twilio to deliver it); "
                            "replying STOP ends all texts to it"))
    return kept


def support_contact() -> Markup:
    """Who to ask, to follow "If it persists, …": SUPPORT_EMAIL as a link, else whoever runs this LinkTime."""
    email = current_app.config.get("SUPPORT_EMAIL")
    if email:
        link = Markup('<a href="mailto:{0}">{0}</a>').format(email)
        return escape(gettext("write to %(email)s")) % {"email": link}
    return escape(gettext("ask the person who runs this LinkTime for you"))
