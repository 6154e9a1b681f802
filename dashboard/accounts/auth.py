"""Login wiring: how a session cookie becomes a user."""

from __future__ import annotations

from flask_login import LoginManager
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import User
from dashboard.extensions import db


def init_login(login_manager: LoginManager) -> None:
    """Configure flask-login: where to log in, and how a cookie becomes a user."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(identity: str):
        user_id, _, token = identity.partition(":")
        if not user_id.isdigit() or not token:
            return None
        # with the organisation in the same query: every page shows times in its timezone
        user = db.session.get(User, int(user_id), options=[joinedload(User.organisation)])
        if user is None or not user.active or user.session_token != token:
            return None
        return user
