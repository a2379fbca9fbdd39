"""Accounts: who may sign up, and creating and updating users."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from linktime.extensions import db
from linktime.models import Invite, User, now_utc


class SignupClosed(Exception):
    """Sign-up needs an invite and none (or a used or expired one) was given."""


class AccountTaken(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def find_invite(token: str | None) -> Invite | None:
    if not token:
        return None
    invite = db.session.scalar(select(Invite).where(Invite.token == token))
    return invite if invite is not None and invite.usable else None


def signup_allowed(invite: Invite | None) -> bool:
    return invite is not None or not has_users() or bool(current_app.config["ALLOW_SIGNUP"])


def check_available(email: str, username: str, user: User | None = None) -> None:
    """Raise AccountTaken when another account already has this email or username."""
    others = select(User).where(User.id != (user.id if user else -1))
    if db.session.scalar(others.where(func.lower(User.email) == email.lower())):
        raise AccountTaken("email", "An account with this email already exists.")
    if db.session.scalar(others.where(User.username == username)):
        raise AccountTaken("username", "That username is taken.")


def create_user(*, name: str, email: str, username: str, timezone: str, password: str,
                admin: bool = False, invite: Invite | None = None) -> User:
    """Create an account (the very first one is always an admin) and use up its invite."""
    email = email.strip().lower()
    check_available(email, username)
    user = User(name=name.strip(), email=email, username=username, timezone=timezone,
                is_admin=admin or not has_users())
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
        if invite is not None:
            invite.used_at = now_utc()
            invite.used_by_id = user.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountTaken("email", "An account with this email or username already exists.")
    return user


def register(*, invite_token: str | None, **fields) -> User:
    """Web sign-up: open for the first account, then by invite or when ALLOW_SIGNUP is set."""
    invite = find_invite(invite_token)
    if not signup_allowed(invite):
        raise SignupClosed()
    return create_user(invite=invite, **fields)


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.check_password(password):
        return None
    return user


def update_profile(user: User, *, name: str, email: str, username: str, timezone: str) -> None:
    email = email.strip().lower()
    check_available(email, username, user)
    user.name, user.email, user.username, user.timezone = name.strip(), email, username, timezone
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountTaken("email", "An account with this email or username already exists.")


def create_invite(admin: User) -> Invite:
    invite = Invite(created_by_id=admin.id)
    db.session.add(invite)
    db.session.commit()
    return invite


def team() -> tuple[list[User], list[Invite]]:
    members = list(db.session.scalars(select(User).order_by(User.created_at)))
    invites = [
        invite
        for invite in db.session.scalars(
            select(Invite).where(Invite.used_at.is_(None)).order_by(Invite.created_at.desc())
        )
        if invite.usable
    ]
    return members, invites
