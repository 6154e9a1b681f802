"""Buttons whose work the worker does, in Chromium: "Sync now" on the Overview (a queued job run, its
progress followed on the page) and "Resend invitation" on a candidate's page (a queued email). The web
process runs no thread of its own (tests/browser/serve.py refuses to stop quietly if it did)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.support.browser import connect_lever, log_in

pytestmark = pytest.mark.browser


def _add_applicant(browser, sandbox: str, name: str, email: str) -> None:
    lever = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    lever.goto(f"{sandbox}/")
    row = lever.locator("tr").filter(has=lever.locator("input[name=email]")).filter(
        has_text="Data Analyst").filter(has_not_text="Senior").first
    row.locator("input[name=name]").fill(name)
    row.locator("input[name=email]").fill(email)
    row.locator("button:has-text('Add')").click()
    lever.context.close()


def test_sync_now_and_resend_are_done_by_the_worker(servers, browser, page):
    base, sandbox = servers.dashboard, servers.sandbox
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "owner@acme.example")
    connect_lever(page, base, sandbox)
    page.goto(f"{base}/lever/")
    expect(page.locator("#backfill")).to_have_count(0)  # nobody was in Lever before: nothing to decide

    # Lever's webhooks are lost: only a sync finds the new applicant.
    requests.post(f"{sandbox}/_admin/faults", json={"drop_webhooks": True}, timeout=10).raise_for_status()
    _add_applicant(browser, sandbox, "Sync Nowell", "syncnow@example.com")
    page.goto(f"{base}/lever/")
    sync = page.locator("#sync-now")
    sync.locator("button:has-text('Sync now')").click()
    expect(sync).to_contain_text(re.compile(r"waiting for a worker|running|done"))
    expect(sync.locator("li", has_text="Opportunities")).to_contain_text("done", timeout=60_000)
    expect(sync.locator("button:has-text('Sync now')")).to_be_enabled()

    page.goto(f"{base}/lever/candidates")
    row = page.locator("#candidate-rows tr", has_text="Sync Nowell")
    expect(row).to_contain_text("Invited", timeout=30_000)

    # Resend from the candidate's page: the worker sends a second copy after the request.
    row.locator("a.cand-name").click()
    page.locator("button:has-text('Resend invitation')").first.click()
    expect(page.locator(".flash")).to_contain_text("queued")
    expect(page.locator("h1")).to_contain_text("Sync Nowell")  # back on the page it came from
    page.goto(f"{base}/outbox")
    expect(page.locator("tr", has_text="syncnow@example.com")).to_have_count(2, timeout=30_000)
