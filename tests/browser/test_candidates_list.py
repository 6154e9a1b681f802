"""The candidates list in Chromium at 1366 px and at 390 px, reached from the navigation: search by a
surname and by an email domain, a filter on top, the CSV export of exactly what is listed, and a bulk
resend with its confirmation and a result per row; at 390 px the page is no wider than the screen, and
axe-core finds no serious or critical violation on the list, the confirmation or the result."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.browser import apply_in_lever, connect_lever, log_in
from tests.support.screenshots import shoot

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
APPLICANTS = (("Priya Analyst", "priya@example.com"), ("Tomás Analyst", "tomas@hire.example"),
              ("Lena Field", "lena@example.com"), ("Omar Field", "omar@hire.example"))
BY_HAND = ("Hugo Hand", "hugo@hire.example")


@pytest.fixture(scope="module")
def world(servers, browser):
    """Lever connected; four applicants invited by the integration, one person invited by hand."""
    base, sandbox = servers.dashboard, servers.sandbox
    context = browser.new_context(viewport=WIDTHS["desktop"])
    context.set_default_timeout(15_000)
    owner = context.new_page()
    log_in(owner, base, "owner@acme.example")
    connect_lever(owner, base, sandbox)
    apply_in_lever(sandbox, "Data Analyst", APPLICANTS)
    owner.goto(f"{base}/assessments/")
    owner.locator("a:has-text('Data Analyst Assessment')").first.click()
    owner.fill("input[name=email]", BY_HAND[1])
    owner.fill("input[name=name]", BY_HAND[0])
    owner.click("button:has-text('Send invitation')")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the worker invites each applicant
        owner.goto(f"{base}/lever/candidates?status=invited")
        if owner.locator("a.cand-name").count() >= len(APPLICANTS) + 1:
            break
        time.sleep(0.5)
    expect(owner.locator("a.cand-name")).to_have_count(len(APPLICANTS) + 1)
    context.close()
    return base


def _names(page) -> list[str]:
    return page.locator("#candidate-rows a.cand-name").all_inner_texts()


def _axe(page, axe: Axe, name: str) -> list[str]:
    result = axe.run(page).response
    assert result["passes"], f"{name}: axe-core checked nothing"
    return [f"{name}: axe {v['id']} ({v['impact']})" for v in result["violations"] if v["impact"] in BLOCKING]


def _fits(page, viewport: dict, name: str) -> list[str]:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return [f"{name}: {width} px wide at {viewport['width']} px"] if width > viewport["width"] else []


@pytest.mark.parametrize("size", list(WIDTHS))
def test_search_filter_export_and_bulk_resend(world, browser, size, tmp_path):
    viewport = WIDTHS[size]
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    axe, problems = Axe(), []
    log_in(page, world, "owner@acme.example")
    page.locator("nav[aria-label=Main] a:has-text('Candidates')").click()
    expect(page.locator("h1")).to_have_text("Candidates")
    expect(page.locator("#candidate-rows a.cand-name", has_text=BY_HAND[0])).to_be_visible()  # not from Lever

    search = page.locator("input[name=q]")
    search.fill("analyst")  # a surname, inside the name
    expect(page.locator("#candidate-rows a.cand-name")).to_have_count(2)
    assert sorted(_names(page)) == ["Priya Analyst", "Tomás Analyst"]
    expect(page).to_have_url(re.compile(r"q=analyst"))  # kept in the URL
    search.fill("HIRE.example")  # a domain, inside the email, whatever the case
    expect(page.locator("#candidate-rows a.cand-name")).to_have_count(3)
    assert sorted(_names(page)) == ["Hugo Hand", "Omar Field", "Tomás Analyst"]
    page.select_option("select[name=sort]", "name")
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("#candidate-rows a.cand-name").first).to_have_text("Hugo Hand")
    page.select_option("select[name=status]", "invited")
    expect(page).to_have_url(re.compile(r"status=invited"))
    export = page.locator("a:has-text('Export these candidates')")
    expect(export).to_have_attribute("href", re.compile(r"status=invited"))  # the rows were swapped in
    listed = _names(page)
    assert listed == ["Hugo Hand", "Omar Field", "Tomás Analyst"]
    problems += _fits(page, viewport, "list") + _axe(page, axe, "list")
    shoot(page, f"candidates-{size}")

    with page.expect_download() as download:
        export.click()
    path = tmp_path / "candidates.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Name", "Email"]
    assert [r[0] for r in rows[1:]] == listed  # exactly the filtered list, in its order

    for name in ("Omar Field", "Hugo Hand"):
        page.locator("#candidate-rows tr", has_text=name).locator("input[type=checkbox]").check()
    page.locator("h1").click()  # the focus leaves the list: only the selection holds its refresh back
    page.wait_for_timeout(6_000)  # longer than the list's 5 s refresh: a refresh would clear the boxes
    expect(page.locator("#candidate-rows tbody input[name=row]:checked")).to_have_count(2)
    page.select_option("#bulk select[name=action]", "resend")
    with page.expect_navigation():
        page.locator("#bulk button:has-text('Continue')").click()
    expect(page.locator("h1")).to_have_text("Resend the invitation: 2 candidates?")
    problems += _fits(page, viewport, "confirm") + _axe(page, axe, "confirm")
    with page.expect_navigation():
        page.locator("button:has-text('Resend the invitation (2 candidates)')").click()
    expect(page.locator("h1")).to_have_text("Resend the invitation: 2 of 2 done")
    results = page.locator("table.bulk-results tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="Omar Field")).to_contain_text("Invitation to omar@hire.example queued")
    expect(results.filter(has_text="Hugo Hand")).to_contain_text("Invitation to hugo@hire.example queued")
    problems += _fits(page, viewport, "result") + _axe(page, axe, "result")
    shoot(page, f"candidates-bulk-{size}")

    page.locator("a:has-text('Back to the list')").first.click()
    expect(page).to_have_url(re.compile(r"q=HIRE\.example.*status=invited|status=invited.*q=HIRE\.example"))
    page.locator("thead input[data-select-all]").check()  # select every row of the page
    checked = page.locator("#candidate-rows tbody input[name=row]:checked")
    expect(checked).to_have_count(3)
    context.close()
    assert problems == []
