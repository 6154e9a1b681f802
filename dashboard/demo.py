"""Demo data for the embedded default: one organisation, three users, two assessments."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard.accounts import services as accounts
from dashboard.accounts.models import Organisation
from dashboard.assessments import services as assessments
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
