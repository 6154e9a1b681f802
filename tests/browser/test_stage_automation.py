"""Stage automation in Chromium: an admin sets "when the final result passes, move to On-site" on Linked
jobs; a candidate applies in the sandbox, takes the assessment and is evaluated; the worker (its own
process) moves them in Lever, and the sandbox shows them at On-site."""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.support.browser import connect_lever, log_in
from tests.support.screenshots import shoot

pytestmark = pytest.mark.browser
EMAIL = "stella@example.com"


def _lever_opportunity(sandbox: str) -> dict | None:
    state = requests.get(f"{sandbox}/_admin/state", timeout=10).json()
    return next((o for o in state["opportunities"] if EMAIL in o.get("emails", [])), None)


def _stage_id(sandbox: str, name: str) -> str:
    state = requests.get(f"{sandbox}/_admin/state", timeout=10).json()
    return next(s["id"] for s in state["stages"] if s["text"] == name)


def _wait_for_stage(sandbox: str, stage_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        opp = _lever_opportunity(sandbox)
        if opp and opp["stage"] == stage_id:
            return opp
        time.sleep(0.5)
    raise AssertionError(f"the candidate did not reach stage {stage_id}: {_lever_opportunity(sandbox)}")


def _take_with_correct_answers(browser, base: str, page) -> None:
    page.goto(f"{base}/outbox")
    page.locator("tr", has_text=EMAIL).locator("a").first.click()
    link = re.search(r"https?://\S+/a/[\w-]+", page.locator("pre.mail-text").inner_text()).group(0)
    take = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    take.on("dialog", lambda dialog: dialog.accept())
    take.goto(link)
    take.click("button:has-text('Start the assessment')")
    for _ in range(4):
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
                radios.nth(1).check()  # the demo questions' right answers are the second choice
            else:
                fieldset.locator("textarea").fill("Segment by cohort, then compare activation and churn.")
        submit.click()
        if not take.locator("button:has-text('Submit this part')").count():
            take.goto(link)
    take.goto(link)
    if take.locator("button:has-text('Finish')").count():
        take.locator("button:has-text('Finish')").first.click()
    expect(take.locator("button:has-text('Submit this part')")).to_have_count(0)
    take.context.close()


def test_an_admin_sets_an_automation_and_a_passing_candidate_reaches_the_stage(servers, browser, page):
    base, sandbox = servers.dashboard, servers.sandbox
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "owner@acme.example")
    connect_lever(page, base, sandbox)

    page.goto(f"{base}/lever/")  # Sync now reads the jobs and Lever's stages
    sync = page.locator("#sync-now")
    sync.locator("button:has-text('Sync now')").click()
    expect(sync.locator("li", has_text="Postings")).to_contain_text("done", timeout=60_000)

    page.goto(f"{base}/lever/jobs")
    section = page.locator("#stage-automation")
    job = section.locator("details.automation").filter(
        has=page.locator("summary strong", has_text=re.compile(r"^Data Analyst$")))
    job.locator("summary").click()
    job.get_by_label("When the final result passes, move to").select_option(label="On-site")
    job.locator("button:has-text('Save')").click()
    expect(page.locator(".flash")).to_contain_text("Stage automation saved.")
    expect(job.get_by_label("When the final result passes, move to")).to_have_value(
        _stage_id(sandbox, "On-site"))
    expect(job.locator("summary")).to_contain_text("passed → “On-site”")
    shoot(page, "linked-jobs-stage-automation")

    lever = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    lever.goto(f"{sandbox}/")
    row = lever.locator("tr").filter(has=lever.locator("input[name=email]")).filter(
        has_text="Data Analyst").filter(has_not_text="Senior").first
    row.locator("input[name=name]").fill("Stella Stage")
    row.locator("input[name=email]").fill(EMAIL)
    row.locator("button:has-text('Add')").click()
    lever.context.close()
    page.goto(f"{base}/lever/candidates")
    expect(page.locator("#candidate-rows tr", has_text="Stella Stage")).to_contain_text("Invited", timeout=45_000)

    _take_with_correct_answers(browser, base, page)
    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(admin, base, "admin@acme.example")
    admin.goto(f"{base}/")
    admin.click("nav[aria-label=Main] >> text=Evaluation")
    admin.locator("tr", has_text="Stella Stage").locator("a:has-text('Evaluate')").click()
    admin.locator("input[type=number]").first.fill("10")
    admin.click("button:has-text('Save evaluation')")
    admin.context.close()

    opp = _wait_for_stage(sandbox, _stage_id(sandbox, "On-site"))  # moved by the worker, as Sam Super
    users = requests.get(f"{sandbox}/_admin/state", timeout=10).json()["users"]
    sam = next(u["id"] for u in users if u["name"] == "Sam Super")
    assert [c["toStageId"] for c in opp["stageChanges"] if c.get("userId") == sam] == [_stage_id(sandbox, "On-site")]
    page.goto(f"{base}/lever/candidates")
    page.locator("#candidate-rows tr", has_text="Stella Stage").locator("a.cand-name").click()
    expect(page.locator("#candidate-sync")).to_contain_text("Lever: moved to stage “On-site”", timeout=30_000)
    shoot(page, "candidate-moved-by-automation")
