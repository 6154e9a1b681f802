"""Pytest plugin: the whole integration on a bench (`world`): the dashboard served over HTTP,
connected through OAuth to the sandbox subprocess whose webhooks reach it, the demo organisation,
and a worker driven by hand. Also what the sync leaves behind: emails sent, status tags in Lever."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun
from dashboard.jobs.runs import run_job
from dashboard.lever.sync.models import Effect, InboxDelivery
from dashboard.mail.models import MailMessage
from tests.support.clients import login
from tests.support.lever import LeverWorld, connect, point_app_at_sandbox
from tests.support.live import LiveServer

DEMO_PASSWORD = "demo-password"
STATUS_TAGS = {"Alooba - Invited", "Alooba - In Progress", "Alooba - Completed", "Alooba - Expired"}


def drain_worker(rounds: int = 60, must_settle: bool = True) -> None:
    """Run the worker until nothing is left, treating every back-off as already elapsed, except
    the settle time of writes whose answer was lost (that one really passes)."""
    from dashboard.jobs.worker import run_once

    for _ in range(rounds):
        db.session.execute(update(Effect).where(Effect.state == "pending", Effect.outcome_unknown.is_(False))
                           .values(next_try_at=utcnow()))
        db.session.execute(update(InboxDelivery).where(InboxDelivery.state == "pending")
                           .values(next_try_at=utcnow()))
        db.session.commit()
        if run_once() == 0:
            waiting = db.session.scalar(select(func.count(Effect.id)).where(Effect.state == "pending"))
            if not waiting:
                return
            time.sleep(0.2)
    if must_settle:
        raise AssertionError("the worker did not settle")


def emails_to(address: str) -> int:
    """How many emails the dashboard has stored for `address`."""
    return db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.to == address)) or 0


def status_tags(opp: dict) -> set[str]:
    """The dashboard's status tags on a Lever opportunity (as the sandbox returns it)."""
    return {t for t in opp["tags"] if t in STATUS_TAGS}


@dataclass
class World:
    """Handles on everything a sync test touches."""

    app: object
    client: object
    sandbox: object
    lever: LeverWorld
    postings: dict
    stages: dict
    connection: object

    def apply(self, posting: str, name: str, email: str) -> dict:
        """A candidate applies in Lever (fires applicationCreated)."""
        return self.sandbox.admin("POST", "/_admin/applications", {
            "account_id": self.lever.account_id, "posting_id": self.postings[posting], "name": name,
            "email": email})

    def act(self, opp_id: str, action: str, **body) -> dict:
        """stage / archive / unarchive / hire in Lever."""
        if action == "stage":
            body = {"stage_id": self.stages[body.pop("stage")]}
        return self.sandbox.admin("POST", f"/_admin/opportunities/{opp_id}/{action}", body)

    def opportunity(self, opp_id: str) -> dict:
        """The opportunity as the sandbox holds it, feedback included."""
        state = self.lever.state()
        return next(o for o in state["opportunities"] if o["id"] == opp_id)

    def feedback(self, opp_id: str) -> list[dict]:
        return [f for f in self.opportunity(opp_id)["feedback"] if not f.get("deletedAt")]

    def wait_inbox(self, count: int, timeout: float = 15.0) -> None:
        """Wait until `count` deliveries have reached our inbox."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            db.session.rollback()
            if (db.session.scalar(select(func.count(InboxDelivery.id))) or 0) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} deliveries arrived")

    def inbox_count(self) -> int:
        db.session.rollback()
        return db.session.scalar(select(func.count(InboxDelivery.id))) or 0

    def drain(self, rounds: int = 60, must_settle: bool = True) -> None:
        """Run the worker until nothing is left (see `drain_worker`)."""
        drain_worker(rounds, must_settle)

    def step(self, expected_deliveries: int) -> None:
        """Wait for the webhooks a Lever action fired, then let the worker finish."""
        self.wait_inbox(expected_deliveries)
        self.drain()


@pytest.fixture
def world(app, client, sandbox):
    """Demo organisation connected to the demo Lever account; webhooks reach our live server."""
    from dashboard.accounts.services import find_user_by_email
    from dashboard.demo import load_demo
    from dashboard.lever.connection.models import LeverConnection

    sandbox.configure(webhook_retry_delays=[0.2, 0.4, 0.8, 1.6, 3.2])
    seeded = sandbox.seed(demo=True)
    point_app_at_sandbox(app, sandbox)
    live = LiveServer(app)
    app.config["PUBLIC_BASE_URL"] = live.url
    load_demo()
    db.session.commit()

    login(client, find_user_by_email("owner@acme.example"), DEMO_PASSWORD)
    lever = LeverWorld.from_seed(sandbox, seeded)
    resp = connect(client, lever)
    assert resp.status_code == 302
    connection = db.session.scalar(select(LeverConnection))
    assert connection is not None and connection.status == "connected"
    postings = {p["text"]: p["id"] for p in lever.state()["postings"]}
    stages = {s["text"]: s["id"] for s in lever.state()["stages"]}
    yield World(app, client, sandbox, lever, postings, stages, connection)
    live.stop()


DA_TAG = "Alooba Assessment - Data Analyst Assessment"
CONFIDENTIAL_JOB = "Analytics Lead"


def field(form: dict, label: str):
    """The value of a Lever feedback form's field, by its label."""
    return next(f["value"] for f in form["fields"] if f["text"] == label)


def reconcile(world) -> list[JobRun]:
    """One reconciliation (postings, then opportunities), then the worker until it settles."""
    runs = run_job("postings") + run_job("opportunities")
    world.drain()
    return runs


def confidential_posting(world) -> str:
    """A confidential Lever posting tagged for the Data Analyst Assessment; its id."""
    seeded = world.sandbox.seed(account_id=world.lever.account_id, postings=[
        {"text": CONFIDENTIAL_JOB, "tags": [DA_TAG], "confidentiality": "confidential"}])
    return seeded["postings"][0]["id"]


def apply_to(world, posting_id: str, name: str, email: str) -> dict:
    """A candidate applies to a posting given by id (fires applicationCreated)."""
    return world.sandbox.admin("POST", "/_admin/applications", {
        "account_id": world.lever.account_id, "posting_id": posting_id, "name": name, "email": email})
