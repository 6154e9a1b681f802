"""Organisations and their users."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.core.clock import utcnow
from dashboard.extensions import db

ROLES = ("owner", "admin", "recruiter")
ROLE_RANK = {"recruiter": 1, "admin": 2, "owner": 3}


class Organisation(db.Model):
    """A customer: every other row belongs to exactly one organisation."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A staff member of one organisation, with one role."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="recruiter")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=_new_session_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def get_id(self) -> str:
        """flask-login identity: the user id bound to the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return bool(self.active)

    def set_password(self, password: str) -> None:
        """Hash and store a password (werkzeug's scrypt; PASSWORD_HASH_METHOD can tune its cost)."""

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True when `password` matches; False for users who never set one."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every existing login session of this user."""
        self.session_token = _new_session_token()

    def has_role(self, minimum: str) -> bool:
        """True when this user's role is `minimum` or above (owner > admin > recruiter)."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[minimum]


class PasswordToken(db.Model):
    """A set-password link, stored only as the SHA-256 of its token: the link itself exists only in
    the email sent to the user, never in the database or on a page."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
