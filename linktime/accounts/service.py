"""Accounts: who may sign up, creating and updating users, invites and signing in.

Nothing here tells a stranger whether an email address has an account: sign-in takes as long
and says the same for unknown addresses, and an address is only ever confirmed to the mailbox
that owns it (open sign-up and email changes go through a link sent to the address).
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from linktime.extensions import db, rows_changed
from linktime.i18n import current_language
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import enqueue
from linktime.jobs.runner import run_soon
from linktime.models import FormerUsername, Invite, User, now_utc
from linktime.tokens import digest, uid_of

INVITE_LIFETIME = timedelta(days=7)
ADDRESS_LINK_LIFETIME = timedelta(hours=24)


class SignupClosed(Exception):
    """Sign-up needs an invite and none (or a used, revoked or expired one) was given."""


class AccountTaken(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


# ---------------------------------------------------------------- invites


def find_invite(token: str | None) -> Invite | None:
    """A usable invite by its link's token; None for anything else."""
    if not token or len(token) > 64:
        return None
    uid = uid_of("invite", token)
    column, value = (Invite.uid, uid) if uid else (Invite.token_hash, digest(token))
    invite = db.session.scalar(select(Invite).where(column == value))
    return invite if invite is not None and invite.usable else None


def email_in_use(email: str, *, besides: User | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.strip().lower())
    if besides is not None:
        query = query.where(User.id != besides.id)
    return db.session.scalar(query) is not None


def create_invite(admin: User, email: str) -> Invite:
    """Invite an address to the team and email it the link (admins see the team: no secret here)."""
    email = email.strip().lower()
    if email_in_use(email):
        raise AccountTaken("email", "That address already belongs to a team member.")
    invite = Invite(created_by_id=admin.id, email=email, expires_at=now_utc() + INVITE_LIFETIME)
    db.session.add(invite)
    db.session.flush()
    job = enqueue(JobKind.ACCOUNT_EMAIL, kind="invite", invite_id=invite.id)
    db.session.commit()
    run_soon([job])
    return invite


def revoke_invite(admin: User, invite_id: int) -> bool:
    """Make an open invite unusable at once; False when it was used or revoked already."""
    revoked = rows_changed(
        update(Invite).where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )
    db.session.commit()
    return bool(revoked)


def _claim_invite(invite: Invite, user: User) -> None:
    """Use the invite up for ``user``: one conditional UPDATE, so only one sign-up can win it."""
    now = now_utc()
    claimed = rows_changed(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None),
               Invite.expires_at > now)
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        raise SignupClosed()


def everyone() -> list[User]:
    """Every host of this LinkTime, by name."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.name))))


def team() -> tuple[list[User], list[Invite]]:
    members = list(db.session.scalars(select(User).order_by(User.created_at)))
    invites = [
        invite
        for invite in db.session.scalars(
            select(Invite).where(Invite.used_at.is_(None), Invite.revoked_at.is_(None))
            .order_by(Invite.created_at.desc())
        )
        if invite.usable
    ]
    return members, invites


# ---------------------------------------------------------------- links that prove an address


def _address_serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"linktime-{purpose}")


def address_token(purpose: str, **claims) -> str:
    return _address_serializer(purpose).dumps(claims)


def read_address_token(purpose: str, token: str | None) -> dict | None:
    """The claims of a link sent to an address, if it is genuine and under 24 hours old."""
    if not token or len(token) > 600:
        return None
    try:
        claims = _address_serializer(purpose).loads(token, max_age=int(ADDRESS_LINK_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return claims if isinstance(claims, dict) else None


def request_signup_link(email: str) -> None:
    """Open sign-up: email the address a link to create its account (or to sign in, if it has one)."""
    job = enqueue(JobKind.ACCOUNT_EMAIL, kind="signup", email=email.strip().lower(), language=current_language())
    db.session.commit()
    run_soon([job])


def request_email_change(user: User, new_email: str) -> None:
    """Send ``new_email`` a link that moves the account there; nothing changes until it is opened."""
    job = enqueue(JobKind.ACCOUNT_EMAIL, kind="email_change", user_id=user.id, email=new_email.strip().lower())
    db.session.commit()
    run_soon([job])


def confirm_email_change(user: User, token: str | None) -> bool:
    claims = read_address_token("email-change", token)
    if not claims or claims.get("user") != user.id or claims.get("version") != user.session_version:
        return False
    email = str(claims.get("email", ""))
    if email_in_use(email, besides=user):
        return False
    user.email = email
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


# ---------------------------------------------------------------- users


def username_taken(username: str, user: User | None = None) -> bool:
    """Used now by someone else, or once by someone else (their old links must keep working)."""
    current = select(User.id).where(User.username == username)
    former = select(FormerUsername.user_id).where(FormerUsername.username == username)
    if user is not None:
        current = current.where(User.id != user.id)
        former = former.where(FormerUsername.user_id != user.id)
    return db.session.scalar(current) is not None or db.session.scalar(former) is not None


def check_username(username: str, user: User | None = None) -> None:
    if username_taken(username, user):
        raise AccountTaken("username", "That username is taken.")


def create_user(*, name: str, email: str, username: str, timezone: str, password: str,
                admin: bool = False, invite: Invite | None = None) -> User:
    """Create an account (the very first one is always an admin) and use up its invite."""
    email = email.strip().lower()
    check_username(username)
    user = User(name=name.strip(), email=email, username=username, timezone=timezone,
                is_admin=admin or not has_users())
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
        if invite is not None:
            _claim_invite(invite, user)
        db.session.commit()
    except SignupClosed:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        if invite is not None and find_invite(invite.token) is None:
            raise SignupClosed() from None
        if username_taken(username):
            raise AccountTaken("username", "That username is taken.") from None
        # Only reachable with an address nobody had to prove (the first account, an old invite).
        raise AccountTaken("email", "This address cannot be used here; sign in instead.") from None
    return user


def signup_mode(invite_token: str | None, address_link: str | None) -> tuple[str, Invite | None, str | None]:
    """How sign-up works for this request: ("first" | "invite" | "address" | "ask" | "closed").

    The email address is fixed by whatever proved it: the invite, or the link sent to it.
    """
    if not has_users():
        return "first", None, None
    if invite_token:
        invite = find_invite(invite_token)
        return ("invite", invite, invite.email or None) if invite else ("closed", None, None)
    if current_app.config["ALLOW_SIGNUP"]:
        claims = read_address_token("signup", address_link) if address_link else None
        if claims and claims.get("email"):
            return "address", None, str(claims["email"])
        return ("closed", None, None) if address_link else ("ask", None, None)
    return "closed", None, None


def register(*, invite_token: str | None = None, address_link: str | None = None, **fields) -> User:
    """Web sign-up: the first account, then by invite or by a link sent to the address."""
    mode, invite, email = signup_mode(invite_token, address_link)
    if mode not in ("first", "invite", "address"):
        raise SignupClosed()
    if email:
        fields["email"] = email
    return create_user(invite=invite, **fields)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return generate_password_hash("not anybody's password")


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password; as slow for an unknown email as for a known one."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    return user if user.check_password(password) else None


def update_profile(user: User, *, name: str, email: str, username: str, timezone: str, language: str = "") -> bool:
    """Save the profile; a new email is only sent a confirmation link. True if one was sent."""
    email = email.strip().lower()
    check_username(username, user)
    old_username = user.username
    user.name, user.username, user.timezone, user.language = name.strip(), username, timezone, language
    if username != old_username:
        # The old name keeps leading here: links already shared must not start pointing at someone else.
        db.session.execute(delete(FormerUsername).where(FormerUsername.username == username,
                                                        FormerUsername.user_id == user.id))
        db.session.add(FormerUsername(username=old_username, user_id=user.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountTaken("username", "That username is taken.") from None
    if email != user.email:
        request_email_change(user, email)
        return True
    return False


def former_owner(username: str) -> User | None:
    """The host who used to be called ``username`` (for redirecting their old links)."""
    return db.session.scalar(
        select(User).join(FormerUsername, FormerUsername.user_id == User.id)
        .where(FormerUsername.username == username)
    )
