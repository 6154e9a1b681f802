"""The whole flow in Chromium against `make run`-style servers: connect Lever through the sandbox's
consent page, an applicant appears on the Candidates page without a reload, takes the assessment from
the Outbox link, is evaluated, and the dashboard shows the result and the funnel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in
from tests.support.screenshots import shoot

pytestmark = pytest.mark.browser


def test_connect_invite_take_evaluate_and_see_results(servers, browser, page):
    base, sandbox = servers.dashboard, servers.sandbox
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "owner@acme.example")

    # Organisation settings → Lever → Enable → the sandbox consent page → Accept as Sam Super.
    page.click("nav[aria-label=Main] >> text=Organisation settings")
    card = page.locator("#lever-card")
    expect(card).to_contain_text("Not connected")
    card.locator("button:has-text('Enable')").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox)}/"))
    option = page.locator("select[name=user_id] option", has_text="Sam Super").first
    page.select_option("select[name=user_id]", value=option.get_attribute("value"))
    shoot(page, "sandbox-consent")
    page.click("button[value=accept]")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/"))
    expect(page.locator("#lever-card h2")).to_contain_text("Connected")
    shoot(page, "settings-lever-connected", docs=True)

    # The Candidates page is open and empty; an applicant arrives through the sandbox UI.
    page.goto(f"{base}/lever/candidates")
    expect(page.locator("#candidate-rows")).to_contain_text("apply to a linked Lever job")
    lever = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    lever.goto(f"{sandbox}/")
    row = lever.locator("tr").filter(has=lever.locator("input[name=email]")).filter(
        has_text="Data Analyst").filter(has_not_text="Senior").first
    row.locator("input[name=name]").fill("Grace Hopper")
    row.locator("input[name=email]").fill("grace@example.com")
    row.locator("button:has-text('Add')").click()
    shoot(lever, "sandbox-applicant-added")

    # Without reloading: the htmx poll brings the row in, status Invited.
    candidate_row = page.locator("#candidate-rows tr", has_text="Grace Hopper")
    expect(candidate_row).to_contain_text("Invited", timeout=45_000)
    shoot(page, "candidates-invited")

    # The invitation email in the Outbox, its link, and the take flow.
    page.goto(f"{base}/outbox")
    page.locator("tr", has_text="grace@example.com").locator("a").first.click()
    link = re.search(r"https?://\S+/a/[\w-]+", page.locator("pre.mail-text").inner_text()).group(0)
    take = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    take.on("dialog", lambda dialog: dialog.accept())
    take.goto(link)
    take.click("button:has-text('Start the assessment')")
    for _ in range(4):  # answer each part the flow leads to, then go back to the landing page
        submit = take.locator("button:has-text('Submit this part')")
        if not submit.count():
            todo = take.locator("li:has(span:has-text('To do')) a")
            if not todo.count():
                break
            todo.first.click()
            continue
        for fieldset in take.locator("fieldset").all():
            radios = fieldset.locator("input[type=radio]")
            if radios.count():
                radios.first.check()
            else:
                fieldset.locator("textarea").fill("Revenue fell because returning customers churned; check cohorts.")
        shoot(take, "take-part")
        submit.click()
        if not take.locator("button:has-text('Submit this part')").count():
            take.goto(link)
    take.goto(link)
    if take.locator("button:has-text('Finish')").count():  # submitting the last part may already finish it
        take.locator("button:has-text('Finish')").first.click()
    expect(take.locator("button:has-text('Submit this part')")).to_have_count(0)
    shoot(take, "take-finished")

    # An admin evaluates the written part.
    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(admin, base, "admin@acme.example")
    admin.goto(f"{base}/")
    admin.click("nav[aria-label=Main] >> text=Evaluation")
    admin.locator("tr", has_text="Grace Hopper").locator("a:has-text('Evaluate')").click()
    admin.locator("input[type=number]").first.fill("8")
    admin.click("button:has-text('Save evaluation')")

    # Completed, with its score and rating; the funnel counts it.
    page.goto(f"{base}/lever/candidates")
    row = page.locator("#candidate-rows tr", has_text="Grace Hopper")
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text(re.compile(r"\d+%"))
    expect(row).to_contain_text(re.compile(r"[1-4] - (Strong )?(No )?Hire"))
    shoot(page, "candidates-completed")
    row.locator("a.cand-name").click()
    expect(page.locator("h1")).to_contain_text("Grace Hopper")
    expect(page.locator("#candidate-sync")).to_contain_text(re.compile("invit", re.IGNORECASE))
    shoot(page, "candidate-results", docs=True)
    page.goto(f"{base}/lever/")
    expect(page.locator("figure.funnel", has_text="Data Analyst").first.locator("svg")).to_have_attribute(
        "aria-label", re.compile(r"Applied 1, Invited 1, Started 1, Completed 1"))
    shoot(page, "overview-funnel")
    page.goto(f"{base}/lever/jobs")
    expect(page.locator("main")).to_contain_text("Data Analyst Assessment")
    shoot(page, "linked-jobs-linked")
    page.goto(f"{base}/lever/activity")
    expect(page.locator("main")).to_contain_text("Application created")
    shoot(page, "activity-flow")


def test_recruiter_sees_no_enable_or_disconnect(servers, page):
    log_in(page, servers.dashboard, "recruiter@acme.example")
    for path in ("/settings", "/lever/", "/lever/jobs"):
        page.goto(f"{servers.dashboard}{path}")
        expect(page.locator("button:has-text('Enable')")).to_have_count(0)
        expect(page.locator("button:has-text('Disconnect')")).to_have_count(0)
    shoot(page, "recruiter-overview")
