"""Creating teams, choosing their members, and saving team event types.

Admins make teams and their event types; every member sees the teams they are in. A team event
type is an event type (the same hours, rules, reminders and location) with the team's members
who host it and how their bookings are shared out (``Scheduling``).
"""
from __future__ import annotations

from sqlalchemy import func, select

from linktime.event_types import service as event_types
from linktime.event_types.forms import EventTypeForm, slugify
from linktime.extensions import db
from linktime.host_lock import availability_changed
from linktime.models import EventType, EventTypeHost, Scheduling, Team, TeamMember, User

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
