"""Creating teams, choosing their members, and saving team event types.

Admins make teams and their event types; every member sees the teams they are in. A team event
type is an event type (the same hours, rules, reminders and location) with the team's members
who host it and how their bookings are shared out (``Scheduling``).
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from linktime.conferencing.base import link_promised
from linktime.event_types import service as event_types
from linktime.event_types.forms import EventTypeForm, slugify
from linktime.extensions import db
from linktime.host_lock import availability_changed
from linktime.models import (
    Booking,
    BookingStatus,
    EventType,
    EventTypeHost,
    OutOfOffice,
    Scheduling,
    Team,
    TeamMember,
    User,
    now_utc,
)

# Words under /team/ that are pages of their own.
RESERVED_SLUGS = frozenset({"invites", "new"})


class TeamSlugTaken(Exception):
    pass


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(func.lower(Team.name))))


def teams_of(user: User) -> list[Team]:
    """The teams a host can see: all of them for an admin, else those they are in."""
    if user.is_admin:
        return all_teams()
    return list(db.session.scalars(select(Team).join(TeamMember).where(TeamMember.user_id == user.id)
                                   .order_by(func.lower(Team.name))))


def save_team(name: str, slug: str, description: str, member_ids: list[int], team: Team | None = None) -> Team:
    """Create or update a team and its members (removing a member takes them off its event types)."""
    slug = (slug or slugify(name)).lower()
    clash = db.session.scalar(select(Team.id).where(Team.slug == slug, Team.id != (team.id if team else -1)))
    if clash is not None or slug in RESERVED_SLUGS:
        raise TeamSlugTaken(slug)
    if team is None:
        team = Team()
        db.session.add(team)
    team.name, team.slug, team.description = name.strip(), slug, description.strip()
    wanted = set(member_ids)
    kept = [member for member in team.members if member.user_id in wanted]
    known = {member.user_id for member in kept}
    team.members = kept + [TeamMember(user_id=user_id) for user_id in sorted(wanted - known)]
    db.session.flush()
    for event_type in team_event_types(team):
        gone = [chosen for chosen in event_type.team_hosts if chosen.user_id not in wanted]
        for chosen in gone:
            event_type.team_hosts.remove(chosen)
            availability_changed(chosen.user_id)
    db.session.commit()
    return team


def team_event_types(team: Team, *, active_only: bool = False) -> list[EventType]:
    query = select(EventType).where(EventType.team_id == team.id).order_by(EventType.created_at)
    if active_only:
        query = query.where(EventType.active.is_(True))
    return list(db.session.scalars(query))


def linkless_hosts(event_type: EventType) -> list[User]:
    """Whose bookings of it would get no meeting link (their video account is not connected): a
    round-robin one's members, a collective one's organiser (its meetings are made there)."""
    hosts = [event_type.host] if event_type.scheduling_kind is Scheduling.COLLECTIVE else \
        [chosen.user for chosen in event_type.team_hosts]
    return [host for host in hosts if not link_promised(event_type.location, host.id)]


def by_slug(slug: str) -> Team | None:
    return db.session.scalar(select(Team).where(Team.slug == slug.lower()))


def save_team_event_type(team: Team, form: EventTypeForm, scheduling: Scheduling, hosts: dict[int, tuple[int, int]],
                         organiser_id: int, event_type: EventType | None = None) -> EventType:
    """Create or update a team event type: its details from ``form``, who hosts it (``hosts``: user
    id → (priority, weight)) and its organiser, whose video account makes a collective meeting."""
    before = {chosen.user_id for chosen in event_type.team_hosts} if event_type else set()
    saved = event_types.save_event_type(db.session.get_one(User, organiser_id), form, event_type, team_id=team.id,
                                        commit=False)
    saved.host_id, saved.team_id, saved.scheduling = organiser_id, team.id, scheduling.value
    saved.seats, saved.repeat_weeks = 1, 0  # one invitee a time, no series
    current = {chosen.user_id: chosen for chosen in saved.team_hosts}
    saved.team_hosts = [current.get(user_id) or EventTypeHost(user_id=user_id) for user_id in sorted(hosts)]
    for chosen in saved.team_hosts:
        chosen.priority, chosen.weight = hosts[chosen.user_id]
    for user_id in before | set(hosts):  # every member's cached pages, and so the team's, are out of date
        availability_changed(user_id)
    db.session.commit()
    return saved


# ---------------------------------------------------------------------------- out of office, hand-overs due

LONGEST_AWAY = timedelta(days=366)


class AwayRefused(Exception):
    pass


def away_of(user: User) -> list[OutOfOffice]:
    """The host's days out of office that are not over yet."""
    today = now_utc().astimezone(ZoneInfo(user.timezone)).date()
    return list(db.session.scalars(select(OutOfOffice).where(OutOfOffice.user_id == user.id,
                                                             OutOfOffice.last_day >= today)
                                   .order_by(OutOfOffice.first_day)))


def add_away(user: User, first: date, last: date) -> list[Booking]:
    """Mark days out of office (round-robin passes the host by on them, collective times need
    them back); returns the host's team bookings on those days, to hand to someone else."""
    if last < first:
        raise AwayRefused("The last day comes before the first.")
    if last - first > LONGEST_AWAY:
        raise AwayRefused("At most a year at a time.")
    db.session.add(OutOfOffice(user_id=user.id, first_day=first, last_day=last))
    availability_changed(user.id)
    db.session.commit()
    return [booking for booking, _ in _team_bookings_of(user) if first <= _local_day(booking, user) <= last]


def remove_away(user: User, away_id: int) -> bool:
    away = db.session.get(OutOfOffice, away_id)
    if away is None or away.user_id != user.id:
        return False
    db.session.delete(away)
    availability_changed(user.id)
    db.session.commit()
    return True


def _local_day(booking: Booking, user: User) -> date:
    return booking.start.astimezone(ZoneInfo(user.timezone)).date()


def _team_bookings_of(user: User | None = None, team: Team | None = None) -> list[tuple[Booking, EventType]]:
    """Upcoming round-robin bookings (of one host, or of one team), with their event types."""
    query = (select(Booking, EventType).join(EventType, EventType.id == Booking.event_type_id)
             .where(EventType.team_id.is_not(None), EventType.scheduling == Scheduling.ROUND_ROBIN.value,
                    Booking.status == BookingStatus.CONFIRMED, Booking.start > now_utc())
             .order_by(Booking.start))
    if user is not None:
        query = query.where(Booking.host_id == user.id)
    if team is not None:
        query = query.where(EventType.team_id == team.id)
    return [(booking, event_type) for booking, event_type in db.session.execute(query)]


def hand_overs_due(team: Team) -> list[tuple[Booking, str]]:
    """The team's upcoming round-robin bookings whose host can no longer take them — out of office
    that day, or no longer one of the event type's hosts — each with the reason."""
    return _due(_team_bookings_of(team=team))


def hand_overs_for(user: User) -> list[tuple[Booking, str]]:
    """The host's own upcoming round-robin bookings they can no longer take, with the reason."""
    return _due(_team_bookings_of(user=user))


def _due(bookings: list[tuple[Booking, EventType]]) -> list[tuple[Booking, str]]:
    due = []
    hosts = {booking.host_id for booking, _ in bookings}
    away = list(db.session.scalars(select(OutOfOffice).where(OutOfOffice.user_id.in_(hosts)))) if hosts else []
    for booking, event_type in bookings:
        if booking.host_id not in {chosen.user_id for chosen in event_type.team_hosts}:
            due.append((booking, f"{booking.host.name} no longer hosts {event_type.title}"))
        elif any(a.user_id == booking.host_id and a.covers(_local_day(booking, booking.host)) for a in away):
            due.append((booking, f"{booking.host.name} is out of office that day"))
    return due
