"""Demo data for the embedded default: one organisation, three users, two assessments.

`flask demo load` adds them to an empty database; `flask demo reset` starts the demo over (every table
dropped and migrated again, the demo data loaded, the sandbox's data file removed so that the sandbox
seeds its demo account again). Reset refuses in production and while `make run` is serving.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select, text

from dashboard.accounts import services as accounts
from dashboard.accounts.models import Organisation
from dashboard.assessments import services as assessments
from dashboard.config import INSTANCE
from dashboard.extensions import db

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("owner@acme.example", "owner", "Olivia Owner"),
    ("admin@acme.example", "admin", "Adam Admin"),
    ("recruiter@acme.example", "recruiter", "Rita Recruiter"),
)

ANALYST_QUESTIONS = (
    ("Which SQL clause filters rows after aggregation?", ["WHERE", "HAVING", "GROUP BY", "ORDER BY"], 1),
    ("The median of 3, 7, 1, 9, 5 is…", ["3", "5", "7", "9"], 1),
    ("Which join keeps every row of the left table?",
     ["INNER JOIN", "LEFT JOIN", "RIGHT JOIN", "CROSS JOIN"], 1),
    ("A p-value of 0.03 at a 5% significance level means…",
     ["Fail to reject the null hypothesis", "Reject the null hypothesis",
      "The effect is 3% large", "The test is invalid"], 1),
)

WRITTEN_PROMPT = (
    "Monthly active users fell 12% last month while sign-ups rose 8%. Describe how you would "
    "investigate this, which data you would query, and what you would report to the product team."
)


def load_demo() -> bool:
    """Create the demo organisation when the database holds none; True when data was created.

    Flushes, never commits: the caller commits.
    """
    if db.session.scalar(select(Organisation.id).limit(1)) is not None:
        return False
    org = accounts.create_organisation("Acme Analytics")
    org.timezone = "Europe/London"
    for email, role, name in DEMO_USERS:
        accounts.create_user(org.id, email, role, name=name, password=DEMO_PASSWORD)

    analyst = assessments.create_assessment(
        org.id, name="Data Analyst Assessment", passing_score=60, time_limit_minutes=45,
        invitation_valid_days=7,
        description="SQL, statistics and a short written analysis. Take it in one sitting.",
    )
    basics = assessments.add_part(analyst.id, name="SQL & Statistics basics", weight=1, grading="auto")
    for prompt, choices, correct in ANALYST_QUESTIONS:
        assessments.add_question(basics.id, kind="multiple_choice", prompt=prompt, choices=choices,
                                 correct_choice=correct)
    written = assessments.add_part(analyst.id, name="Written analysis", weight=1, grading="manual")
    assessments.add_question(written.id, kind="free_text", prompt=WRITTEN_PROMPT, max_points=10)
    assessments.publish_assessment(analyst.id)

    engineer = assessments.create_assessment(
        org.id, name="Data Engineer Assessment", passing_score=65, time_limit_minutes=60,
        invitation_valid_days=7, description="Pipelines, modelling and SQL.",
    )
    pipelines = assessments.add_part(engineer.id, name="Pipelines", weight=1, grading="auto")
    assessments.add_question(pipelines.id, kind="multiple_choice",
                             prompt="Which property makes a pipeline step safe to retry?",
                             choices=["Idempotence", "Parallelism", "Compression"], correct_choice=0)
    db.session.flush()
    return True


demo_cli = AppGroup("demo", help="Demo data for the embedded default.")


@demo_cli.command("load")
def demo_load_command() -> None:
    """Load the demo organisation, users and assessment when the database is empty."""
    created = load_demo()
    db.session.commit()
    click.echo("demo data loaded" if created else "database not empty: demo data left as it is")


def sandbox_data_path() -> Path:
    """Where `make run`'s Lever sandbox keeps its data (as `dashboard.jobs.devserver` starts it)."""
    return Path(os.environ.get("SANDBOX_DATA") or INSTANCE / "sandbox.db")


def _port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def reset_refusal(config) -> str | None:
    """Why a reset must not happen here, or None."""
    if config.get("ENV_NAME") == "production":
        return "refused: APP_ENV is production. `flask demo reset` only resets a development database."
    port = int(config.get("SANDBOX_PORT") or 5001)
    if _port_answers(port):
        return (f"refused: something answers on the sandbox port {port}; stop `make run` (Ctrl-C) first, "
                "then reset.")
    return None


def reset_demo() -> list[str]:
    """Drop every table (and Alembic's version), migrate again, load the demo data, remove the sandbox's
    data file. Returns what was done, line by line. The caller checks `reset_refusal` first."""
    engine = db.engine
    db.session.remove()
    db.metadata.drop_all(bind=engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    load_demo()
    db.session.commit()
    done = [f"database {engine.url.render_as_string(hide_password=True)}: dropped, migrated, demo data loaded"]
    data = sandbox_data_path()
    if data.exists():
        data.unlink()
        done.append(f"sandbox data {data} removed: the sandbox seeds its demo account at its next start")
    return done


@demo_cli.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def demo_reset_command(yes: bool) -> None:
    """Start the demo over: delete every record (organisations, candidates, the Lever connection, emails)
    and the sandbox's data, then load the demo data. Refused in production."""
    refusal = reset_refusal(current_app.config)
    if refusal:
        raise click.ClickException(refusal)
    if not yes:
        click.confirm("Delete every record of this database and the Lever sandbox's data, then load the demo "
                      "data again?", abort=True)
    for line in reset_demo():
        click.echo(line)
    click.echo("demo reset: log in as owner@acme.example / demo-password")
