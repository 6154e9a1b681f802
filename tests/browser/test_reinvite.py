"""A recruiter invites by hand someone who already took the assessment: the page shows the result and asks
before a new attempt is created; keeping it changes nothing, creating one sends a new invitation and uses the
name typed."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.browser import log_in

pytestmark = pytest.mark.browser
EMAIL = "quinn@example.com"
PHONE = {"width": 390, "height": 844}


def _invite(page, base: str, name: str) -> None:
    page.goto(f"{base}/assessments/")
    page.locator("a", has_text="Data Analyst Assessment").first.click()
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=name]", name)
    page.click("button:has-text('Send invitation')")


def _invitation_link(page, base: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.goto(f"{base}/outbox")
        row = page.locator("tr", has_text=EMAIL)
        if row.count():
            row.locator("a").first.click()
            return re.search(r"https?://\S+/a/[\w-]+", page.locator("pre.mail-text").inner_text()).group(0)
        time.sleep(0.5)
    raise AssertionError("no invitation in the Outbox")


def _take(page, link: str) -> None:
    page.goto(link)
    page.click("button:has-text('Start the assessment')")
    while "completed this assessment" not in page.locator("main").inner_text():
        for fieldset in page.locator("fieldset").all():
            radios = fieldset.locator("input[type=radio]")
            if radios.count():
                radios.nth(1).check()
            else:
                fieldset.locator("textarea").fill("Compare cohorts before and after the drop.")
        with page.expect_navigation():
            page.click("button:has-text('Submit this part')")


def test_manual_reinvite_shows_the_result_and_asks(servers, browser, page):
    base = servers.dashboard
    log_in(page, base, "recruiter@acme.example")
    _invite(page, base, "Quinn")
    expect(page.locator(".flash-success")).to_contain_text("is invited to")

    candidate = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    _take(candidate, _invitation_link(page, base))
    candidate.context.close()

    # The candidate's page shows the score the question page must repeat.
    page.goto(f"{base}/people/?q=quinn")
    page.locator("a", has_text="Quinn").first.click()
    person = page.url
    score = page.locator("#main dt:has-text('Final score') + dd strong").first.inner_text()
    assert re.fullmatch(r"\d+(\.\d)?%", score), score

    _invite(page, base, "Quinn Analyst")
    expect(page.locator("h1")).to_contain_text("already has an attempt at “Data Analyst Assessment”")
    held = page.locator("table tbody tr")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("Completed")
    expect(held).to_contain_text(score)
    expect(page.locator("main")).to_contain_text("The name on file is “Quinn”")

    page.click("a:has-text('Keep the existing attempt')")
    assert page.url == person
    expect(page.locator("article.card[id^=attempt-]")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Quinn")

    # On a phone, the question fits the screen and passes axe-core; this time a new attempt is chosen.
    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, base, "recruiter@acme.example")
    _invite(phone, base, "Quinn Analyst")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    blocking = [v["id"] for v in Axe().run(phone).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not blocking, blocking
    phone.click("button:has-text('Create a new attempt')")
    expect(phone.locator(".flash-success")).to_contain_text("(a new attempt)")
    expect(phone.locator(".flash-success")).to_contain_text("Their name is now “Quinn Analyst” (was “Quinn”)")
    expect(phone.locator("h1")).to_have_text("Quinn Analyst")
    expect(phone.locator("article.card[id^=attempt-]")).to_have_count(2)
    phone.context.close()
