"""Account services: explicit arguments, flush but never commit."""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from dashboard.accounts.models import ROLES, Organisation, User
from dashboard.extensions import db


class AccountError(ValueError):
    """A user-facing reason an account change was refused."""


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


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

SET_PASSWORD_SALT = "set-password"
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


def invite_user(organisation_id: int, acting_user_id: int, email: str, name: str, role: str) -> User:
    """Create a user without a password; the caller emails them a set-password link."""
    acting = _acting_manager(organisation_id, acting_user_id)
    if role == "owner" and acting.role != "owner":
        raise AccountError("Only an owner can add another owner.")
    if not (name or "").strip():
        raise AccountError("A name is required.")
    return create_user(organisation_id, email, role, name=name)


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
    db.session.flush()
    return target


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SET_PASSWORD_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes when the password is set or the sessions end: a used link dies with it.
    raw = f"{user.password_hash or ''}|{user.session_token}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def set_password_token(user: User, secret_key: str) -> str:
    """A signed link token for `user` that expires and works once."""
    return _serializer(secret_key).dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_password_token(token: str, secret_key: str,
                            max_age: int = DEFAULT_SET_PASSWORD_MAX_AGE) -> User:
    """The active user a set-password token was issued to; AccountError when it is not valid."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError("This link has expired. Ask an admin to send a new one.") from exc
    except BadSignature as exc:
        raise AccountError("This link is not valid.") from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(
        data.get("u"), int) else None
    if user is None or not user.active or data.get("f") != _password_fingerprint(user):
        raise AccountError("This link has already been used or is no longer valid.")
    return user


def set_password_with_token(token: str, password: str, secret_key: str,
                            max_age: int = DEFAULT_SET_PASSWORD_MAX_AGE) -> User:
    """Set the password of the token's user; the token (and older sessions) stop working."""
    user = user_for_password_token(token, secret_key, max_age)
    if len(password or "") < 10:
        raise AccountError("Choose a password of at least 10 characters.")
    user.set_password(password)
    user.end_sessions()
    db.session.flush()
    return user


def list_users(organisation_id: int) -> list[User]:
    """The organisation's users: active first, then by name and email."""
    return list(db.session.scalars(
        select(User).where(User.organisation_id == organisation_id)
        .order_by(User.active.desc(), func.lower(User.name), User.email)
    ))
