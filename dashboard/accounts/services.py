"""Account services: explicit arguments, flush but never commit."""

from __future__ import annotations

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
