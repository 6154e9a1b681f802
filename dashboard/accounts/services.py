"""Account services: explicit arguments, flush but never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from dashboard.accounts.models import ROLES, Organisation, PasswordToken, User
from dashboard.core.boundary import DomainError
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.mail.delivery import Built
from dashboard.mail.models import MailMessage
from dashboard.mail.services import MailError, queue_email


class AccountError(DomainError):
    """A user-facing reason an account change was refused."""


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def organisation_timezone(organisation_id: int | None) -> str:
    """The IANA timezone name of an organisation ("UTC" when unknown): for the pages and emails
    a candidate sees, where nobody is logged in to take it from."""
    org = db.session.get(Organisation, organisation_id) if organisation_id is not None else None
    return (org.timezone if org else None) or "UTC"


def find_user_by_email(email: str) -> User | None:
    """Case-insensitive lookup by email."""
    email = (email or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def create_organisation(name: str) -> Organisation:
    """A new organisation with a trimmed, non-empty name."""
    name = (name or "").strip()
    if not name:
        raise AccountError("An organisation needs a name.")
    org = Organisation(name=name)
    db.session.add(org)
    db.session.flush()
    return org


def create_user(organisation_id: int, email: str, role: str, name: str = "",
                password: str | None = None) -> User:
    """Add a user to an organisation; the email must be unused, the role known."""
    email = (email or "").strip().lower()
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if not email or "@" not in email:
        raise AccountError("A valid email address is required.")
    if find_user_by_email(email) is not None:
        raise AccountError(f"A user with the email {email} already exists.")
    user = User(organisation_id=organisation_id, email=email, role=role, name=(name or "").strip())
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# --- user management (owners and admins) -------------------------------------------------

DEFAULT_SET_PASSWORD_MAX_AGE = 72 * 3600


def _acting_manager(organisation_id: int, acting_user_id: int) -> User:
    acting = db.session.get(User, acting_user_id)
    if acting is None or acting.organisation_id != organisation_id or not acting.active:
        raise AccountError("You are not a member of this organisation.")
    if not acting.has_role("admin"):
        raise AccountError("Only owners and admins can manage users.")
    return acting


def _member(organisation_id: int, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise AccountError("There is no such user in this organisation.")
    return user


def _other_active_owners(organisation_id: int, user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.organisation_id == organisation_id, User.role == "owner", User.active.is_(True),
            User.id != user_id,
        )
    )


def _check_may_manage(acting: User, target: User) -> None:
    if target.role == "owner" and acting.role != "owner":
        raise AccountError("Only an owner can change or deactivate an owner.")


def invite_user(organisation_id: int, acting_user_id: int, email: str, name: str, role: str,
                brand: str = "Alooba") -> tuple[User, MailMessage]:
    """Create a user without a password and queue their set-password email (sent after the commit)."""
    acting = _acting_manager(organisation_id, acting_user_id)
    if role == "owner" and acting.role != "owner":
        raise AccountError("Only an owner can add another owner.")
    if not (name or "").strip():
        raise AccountError("A name is required.")
    user = create_user(organisation_id, email, role, name=name)
    return user, queue_set_password_email(user, acting.name or acting.email, brand)


def resend_set_password(organisation_id: int, acting_user_id: int, user_id: int,
                        brand: str = "Alooba") -> tuple[User, MailMessage]:
    """Queue a fresh set-password email for an active member who has not chosen a password yet."""
    acting = _acting_manager(organisation_id, acting_user_id)
    target = _member(organisation_id, user_id)
    if not target.active or target.password_hash:
        raise AccountError("Only active users who have not chosen a password yet can get a new link.")
    _check_may_manage(acting, target)
    return target, queue_set_password_email(target, acting.name or acting.email, brand)


def change_role(organisation_id: int, acting_user_id: int, user_id: int, role: str) -> User:
    """Give a member another role, within the rules of who may change whom."""
    acting = _acting_manager(organisation_id, acting_user_id)
    target = _member(organisation_id, user_id)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if role == target.role:
        return target
    if target.id == acting.id:
        raise AccountError("You cannot change your own role.")
    _check_may_manage(acting, target)
    if role == "owner" and acting.role != "owner":
        raise AccountError("Only an owner can make someone an owner.")
    if target.role == "owner" and target.active and _other_active_owners(organisation_id, target.id) == 0:
        raise AccountError("The organisation's last active owner cannot be demoted.")
    target.role = role
    db.session.flush()
    return target


def set_user_active(organisation_id: int, acting_user_id: int, user_id: int, active: bool) -> User:
    """Deactivate (ending every session at once) or reactivate a member."""
    acting = _acting_manager(organisation_id, acting_user_id)
    target = _member(organisation_id, user_id)
    if bool(target.active) == bool(active):
        return target
    if target.id == acting.id:
        raise AccountError("You cannot deactivate yourself.")
    _check_may_manage(acting, target)
    if not active and target.role == "owner" and _other_active_owners(organisation_id, target.id) == 0:
        raise AccountError("The organisation's last active owner cannot be deactivated.")
    target.active = bool(active)
    if not active:
        target.end_sessions()
        revoke_password_tokens(target.id)
    db.session.flush()
    return target


def token_hash(token: str) -> str:
    """The SHA-256 of a set-password token: all the database ever keeps of it."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_password_token(user: User, max_age: int = DEFAULT_SET_PASSWORD_MAX_AGE,
                         now: datetime | None = None) -> str:
    """A new single-use set-password token for `user`, valid `max_age` seconds; only its hash is
    stored. Earlier unused tokens of the user stay valid until they expire or one is used."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordToken(user_id=user.id, token_hash=token_hash(token), created_at=now,
                                 expires_at=now + timedelta(seconds=max_age)))
    db.session.flush()
    return token


def _token_row(token: str) -> PasswordToken | None:
    if not token or len(token) > 200 or "\x00" in token:
        return None
    return db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == token_hash(token)))


def user_for_password_token(token: str, now: datetime | None = None) -> User:
    """The active user a set-password token was issued to; AccountError when it is not valid."""
    row = _token_row(token)
    if row is None:
        raise AccountError("This link is not valid.")
    if row.used_at is not None:
        raise AccountError("This link has already been used or is no longer valid.")
    if as_utc(row.expires_at) <= (now or utcnow()):
        raise AccountError("This link has expired. Ask an admin to send a new one.")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise AccountError("This link has already been used or is no longer valid.")
    return user


def set_password_with_token(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password of the token's user; every set-password link of the user and every older
    session stop working."""
    user = user_for_password_token(token, now)
    if len(password or "") < 10:
        raise AccountError("Choose a password of at least 10 characters.")
    user.set_password(password)
    user.end_sessions()
    revoke_password_tokens(user.id, now)
    db.session.flush()
    return user


def revoke_password_tokens(user_id: int, now: datetime | None = None) -> None:
    """Mark every unused set-password token of a user as used (a password was set, or the user
    was deactivated)."""
    db.session.execute(update(PasswordToken).where(
        PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None)).values(used_at=now or utcnow()))


def set_password_link(user: User, base_url: str, max_age: int = DEFAULT_SET_PASSWORD_MAX_AGE) -> str:
    """A new single-use, expiring set-password link for `user` (only its hash is stored)."""
    return f"{base_url.rstrip('/')}/set-password/{issue_password_token(user, max_age)}"


def queue_set_password_email(user: User, invited_by: str, brand: str) -> MailMessage:
    """Queue the email with a set-password link for `user`. The link is made when the worker sends it
    (the `set_password` builder below) and goes only to the recipient; the stored copy never has it."""
    return queue_email(organisation_id=user.organisation_id, to=user.email,
                       subject=f"Your {brand} account: choose a password", template="set_password",
                       category="account", builder="set_password",
                       builder_args={"user_id": user.id, "invited_by": invited_by, "brand": brand})


def build_set_password_email(message: MailMessage, base_url: str, max_age: int) -> Built:
    """The context of a queued set-password email, with a fresh link, when it is sent."""
    args = message.builder_args or {}
    user = db.session.get(User, args.get("user_id"))
    if user is None or not user.active:
        raise MailError("The user was removed or deactivated before the email went out.", permanent=True)
    link = set_password_link(user, base_url, max_age)
    return Built(context={"name": user.name, "email": user.email, "organisation": user.organisation.name,
                          "invited_by": args.get("invited_by", ""), "link": link,
                          "valid_hours": max_age // 3600, "brand": args.get("brand", "")},
                 withhold=(link,))


def last_account_mail(organisation_id: int) -> dict[str, MailMessage]:
    """The latest account email of each address of the organisation (what the users page reports)."""
    latest: dict[str, MailMessage] = {}
    for message in db.session.scalars(select(MailMessage).where(
            MailMessage.organisation_id == organisation_id, MailMessage.category == "account")
            .order_by(MailMessage.id)):
        latest[message.to] = message
    return latest


def list_users(organisation_id: int) -> list[User]:
    """The organisation's users: active first, then by name and email."""
    return list(db.session.scalars(
        select(User).where(User.organisation_id == organisation_id)
        .order_by(User.active.desc(), func.lower(User.name), User.email)
    ))
