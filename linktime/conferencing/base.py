"""The conferencing boundary: one small provider interface, the registry ``linktime/wiring.py`` fills,
and neutral errors.

A provider (``zoom/``, ``google_meet/``) makes one outside meeting look like a booking wants it:
create, update, delete, and ``find`` — its own earlier attempt, recognised by the marker it put in
the meeting, so that a create whose answer was lost is adopted instead of made twice. The
reconciler in ``conferencing/meetings.py`` decides *what* to do; a provider only knows *how*.
Everything here is plain data, so the same code serves a web request and a background job.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import event, update

from linktime.models import Location, Meeting
from linktime.privacy import Integration


@dataclass(frozen=True)
class MeetingDetails:
    """What the outside meeting should be: the desired state of one booked slot."""

    topic: str
    start: datetime
    duration_minutes: int
    timezone: str
    agenda: str
    marker: str  # unique to this meeting: found again in a listing of the host's meetings
    # The host's calendar event's text, where the meeting is that event (Meet): with where to manage it.
    description: str = ""


@dataclass(frozen=True)
class ExternalMeeting:
    id: str
    join_url: str
    password: str = ""


@dataclass(frozen=True)
class Connection:
    """What the reconciler needs to know of the account a meeting goes on."""

    id: int
    label: str  # "a Zoom account" — never the account's email
    is_workspace: bool
    usable: bool
    problem: str = ""  # why it is not usable, in the host's words
    can_find: bool = True  # granted the scope to list its meetings (to check an uncertain create)
    ref: str = ""  # the provider's own id of the account: the same account connected again has it too


class ProviderError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unavailable(ProviderError):
    """No useful answer (network, timeout, 5xx): try again later.

    ``uncertain`` means the request may have reached the provider and acted. ``answered``: the
    provider did answer (a 5xx), so it is done with the request, whatever it did.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, uncertain: bool = True,
                 answered: bool = False):
        super().__init__(message)
        self.retry_after, self.uncertain, self.answered = retry_after, uncertain, answered


class RateLimited(Unavailable):
    """Too many requests; nothing was done. ``daily``: the daily quota, reset at 00:00 GMT."""

    def __init__(self, message: str, *, daily: bool = False, retry_after: float | None = None):
        super().__init__(message, retry_after=retry_after, uncertain=False)
        self.daily = daily


class NotFound(ProviderError):
    """The meeting does not exist (deleted at the provider, or expired)."""


class NeedsReconnect(ProviderError):
    """The grant is dead (revoked, expired, undecryptable): the host must connect again."""


class NotConnected(ProviderError):
    """The connection is gone (disconnected or deauthorized)."""

    def __init__(self, message: str = "not connected"):
        super().__init__(message)


class Refused(ProviderError):
    """The provider refused the request itself; retrying the same request cannot help."""


class ConferencingProvider(Protocol):
    location: Location
    # The table of the accounts its meetings are made on: a meeting names one as
    # (provider, account id), so a deleted account row is let go of here (see register).
    @property
    def account_model(self) -> type: ...

    @property
    def privacy(self) -> Integration | None:
        """What it reads, stores and never touches (Data & privacy)."""

    # What the host connects to get its links, and where on Settings → Integrations (a fragment).
    connect_what: str
    connect_where: str

    def cards(self, user: Any) -> list[tuple[str, dict[str, Any]]]:
        """Its status cards on Settings → Integrations: (template, what it shows) each."""
        ...

    def display_id(self, external_id: str, join_url: str) -> str:
        """The meeting's id as people read it (Zoom's number, Meet's code)."""
        ...

    def settle_time(self) -> timedelta:
        """How long after an uncertain create the provider may still be acting on it: absence is
        concluded only after this (our own timeout, and as long again)."""
        ...

    def connection_for(self, host_id: int) -> Connection | None: ...

    def connection(self, connection_id: int) -> Connection | None: ...

    def is_event_in(self, calendar_provider: str) -> bool:
        """Whether its meetings are themselves events in a calendar of this provider (the
        booking then needs no event of its own there)."""
        ...

    def create(self, connection_id: int, details: MeetingDetails) -> ExternalMeeting: ...

    def find(self, connection_id: int, details: MeetingDetails) -> ExternalMeeting | None: ...

    def update(self, connection_id: int, meeting_id: str, details: MeetingDetails) -> None: ...

    def delete(self, connection_id: int, meeting_id: str) -> None: ...


PROVIDERS: dict[Location, ConferencingProvider] = {}


def register(provider: ConferencingProvider) -> ConferencingProvider:
    """Make the provider's meetings reachable by its location, and let go of an account when its
    row is deleted (Disconnect, a replaced account): its meetings keep their links and account
    ref, and come back to it if the same account is connected again (meetings.reattach).
    Registered from ``linktime/wiring.py``, in the order pages list the providers."""
    if PROVIDERS.get(provider.location) is provider:
        return provider
    PROVIDERS[provider.location] = provider
    location = provider.location.value

    def let_go(_mapper: Any, connection: Any, account: Any) -> None:
        connection.execute(update(Meeting).where(Meeting.provider == location, Meeting.account_id == account.id)
                           .values(account_id=None))

    event.listen(provider.account_model, "after_delete", let_go)
    return provider


def provider_for(location: str | Location) -> ConferencingProvider | None:
    """The provider that makes meetings for a location, or None (in person, phone, …)."""
    try:
        return PROVIDERS.get(Location(location))
    except ValueError:
        return None


def display_id(meeting: Meeting) -> str:
    """The meeting's id as people read it, in pages, messages and invites."""
    provider = provider_for(meeting.provider)
    if provider is None or not meeting.external_id:
        return ""
    return provider.display_id(meeting.external_id, meeting.join_url or "")


def makes_meetings(location: str | Location) -> bool:
    return provider_for(location) is not None


def link_promised(location: str | Location, host_id: int) -> bool:
    """Whether a booking of this location can get its meeting link now: the host has connected
    the provider (a page never promises a link it cannot make). True for places without links."""
    provider = provider_for(location)
    return provider is None or provider.connection_for(host_id) is not None
