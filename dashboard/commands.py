"""CLI commands: `flask users create`, `flask demo load`, `flask worker`, `flask scheduler`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from dashboard.extensions import db

users_cli = AppGroup("users", help="Manage staff users.")
demo_cli = AppGroup("demo", help="Demo data for the embedded default.")


@users_cli.command("create")
@click.option("--org", "org_name", required=True, help="Organisation name (created if missing).")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["owner", "admin", "recruiter"]), required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(org_name: str, email: str, role: str, name: str, password: str) -> None:
    """Create a user (and the organisation when it does not exist yet)."""
    from sqlalchemy import select

    from dashboard.accounts import services
    from dashboard.accounts.models import Organisation

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
    from flask import current_app

    from dashboard.accounts import services
    from dashboard.accounts.users import set_password_link

    user = services.find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user has the email {email}.")
    with current_app.test_request_context():
        link = set_password_link(user)
    db.session.commit()
    click.echo(link)


@demo_cli.command("load")
def demo_load_command() -> None:
    """Load the demo organisation, users and assessment when the database is empty."""
    from dashboard.demo import load_demo

    created = load_demo()
    db.session.commit()
    click.echo("demo data loaded" if created else "database not empty: demo data left as it is")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    from dashboard.lever.connection.routes import register_cli as register_lever_cli

    register_lever_cli(app)
    from dashboard.jobs.cli import register_commands

    register_commands(app)
