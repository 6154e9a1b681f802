"""Extend and cancel an invitation from the candidate's page (/lever/candidates/<id>) in Chromium, with the worker and
the scheduler as processes of their own: the candidate is told of the new deadline, and cancelling removes the
status tag in the sandbox, with the reason in the sync history."""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.support.browser import connect_lever, log_in
from tests.support.screenshots import shoot

pytestmark = pytest.mark.browser
EMAIL = "changes@example.com"


def _status_tags(sandbox: str) -> set[str] | None:
    """The applicant's status tags as the sandbox's admin JSON API shows them (None before they exist)."""
    state = requests.get(f"{sandbox}/_admin/state", timeout=10).json()
    opp = next((o for o in state["opportunities"] if EMAIL in o["emails"]), None)
    return None if opp is None else {t for t in opp["tags"] if t.startswith("Alooba - ")}


def _wait_for_tags(sandbox: str, wanted: set[str], timeout: float = 45) -> None:
    deadline, seen = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        seen = _status_tags(sandbox)
        if seen == wanted:
            return
        time.sleep(0.3)
    raise AssertionError(f"status tags in the sandbox: {seen}, wanted {wanted}")


def test_extend_then_cancel_from_the_candidate_page_reach_the_candidate_and_lever(servers, browser, page):
    base, sandbox = servers.dashboard, servers.sandbox
    log_in(page, base, "owner@acme.example")
    connect_lever(page, base, sandbox)

    lever = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    lever.goto(f"{sandbox}/")
    row = lever.locator("tr").filter(has=lever.locator("input[name=email]")).filter(
        has_text="Data Analyst").filter(has_not_text="Senior").first
    row.locator("input[name=name]").fill("Chang Es")
    row.locator("input[name=email]").fill(EMAIL)
    row.locator("button:has-text('Add')").click()
    _wait_for_tags(sandbox, {"Alooba - Invited"})

    # The candidate's page, from the Lever candidates list.
    page.goto(f"{base}/lever/candidates")
    page.locator("#candidate-rows tr", has_text="Chang Es").locator("a.cand-name").click()
    expect(page).to_have_url(re.compile(r"/lever/candidates/\d+$"))
    profile = page.url
    card = page.locator("article.card", has_text="Data Analyst Assessment")
    start_by = card.locator("dt:has-text('Start by') + dd")
    before = start_by.inner_text()

    card.locator("summary:has-text('Change this invitation')").click()
    expect(card.locator("form[action$='/extend']")).to_contain_text("An invitation stays open at most 30 days")
    shoot(page, "candidate-change-invitation")
    card.locator("input[name=days]").fill("1")
    card.locator("form[action$='/extend'] input[name=notify]").check()
    card.locator("button:has-text('Extend deadline')").click()
    expect(page.locator(".flash")).to_contain_text("Deadline extended by 1 day:")
    expect(page.locator(".flash")).to_contain_text("The candidate is told by email.")
    expect(start_by).not_to_have_text(before)
    page.goto(f"{base}/outbox")
    expect(page.locator("tr", has_text="New deadline: Data Analyst Assessment")).to_have_count(1, timeout=30_000)
    assert _status_tags(sandbox) == {"Alooba - Invited"}  # still open: the tag stays

    page.goto(profile)
    card = page.locator("article.card", has_text="Data Analyst Assessment")
    card.locator("summary:has-text('Change this invitation')").click()
    card.locator("input[name=reason]").fill("Position filled internally")
    card.locator("button:has-text('Cancel invitation')").click()
    expect(page.locator(".flash")).to_contain_text("Invitation cancelled.")
    expect(card).to_contain_text("Position filled internally")
    _wait_for_tags(sandbox, set())
    shoot(page, "candidate-cancelled")

    page.goto(f"{base}/lever/candidates")
    page.locator("#candidate-rows tr", has_text="Chang Es").locator("a.cand-name").click()
    expect(page.locator("#candidate-sync")).to_contain_text(
        "was cancelled by owner@acme.example: Position filled internally.")
    expect(page.locator("#candidate-sync")).to_contain_text("Lever: status tags removed.", timeout=15_000)
