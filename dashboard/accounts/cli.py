"""`flask users create` and `flask users set-password-link`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard.accounts import services
from dashboard.accounts.models import Organisation
from dashboard.extensions import db

users_cli = AppGroup("users", help="Manage staff users.")


@users_cli.command("create")
@click.option("--org", "org_name", required=True, help="Organisation name (created if missing).")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["owner", "admin", "recruiter"]), required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(org_name: str, email: str, role: str, name: str, password: str) -> None:
    """Create a user (and the organisation when it does not exist yet)."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == org_name.strip()))
    try:
        if org is None:
            org = services.create_organisation(org_name)
        user = services.create_user(org.id, email, role, name=name, password=password)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email} in {org.name}")


@users_cli.command("set-password-link")
@click.argument("email")
def set_password_link_command(email: str) -> None:
    """Print a new single-use set-password link for EMAIL (for servers without a mail server).

    The link is printed here only: it is neither logged nor stored (the database keeps its hash)."""
    user = services.find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user has the email {email}.")
    link = services.set_password_link(user, current_app.config["PUBLIC_BASE_URL"],
                                      int(current_app.config.get("SET_PASSWORD_MAX_AGE",
                                                                 services.DEFAULT_SET_PASSWORD_MAX_AGE)))
    db.session.commit()
    click.echo(link)
