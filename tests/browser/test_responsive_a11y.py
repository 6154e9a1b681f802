"""Phones and assistive technology: at 390×844 every staff page and every page of the candidate's take
flow fits the viewport (no sideways scrolling) and has no serious or critical axe-core violation, no
duplicate id and no label pointing at nothing; the candidate is warned before submitting a part with
unanswered questions, and sees the time left count down."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.browser import apply_in_lever, connect_lever, log_in
from tests.support.screenshots import shoot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
APPLICANTS = {  # one invitation per test, so that no test depends on another one's progress
    "warning": ("Grace Hopper", "grace@example.com"),
    "countdown": ("Alan Turing", "alan@example.com"),
    "no-script": ("Edsger Dijkstra", "edsger@example.com"),
    "survey": ("Ada Lovelace", "ada@example.com"),
    "open": ("Barbara Liskov", "barbara@example.com"),  # stays invited: its page offers every change form
}

# What axe-core no longer checks (its duplicate-id rules are retired) but a screen reader still trips on.
MARKUP = """() => {
  const seen = {};
  for (const el of document.querySelectorAll("[id]")) seen[el.id] = (seen[el.id] || 0) + 1;
  return {
    width: document.documentElement.scrollWidth,
    duplicateIds: Object.keys(seen).filter((id) => seen[id] > 1),
    danglingLabels: [...document.querySelectorAll("label[for]")]
      .filter((label) => !document.getElementById(label.htmlFor)).map((label) => label.htmlFor),
  };
}"""


@dataclass
class World:
    """The servers, a logged-in owner on a phone, and each applicant's invitation link."""

    base: str
    sandbox: str
    owner: object
    links: dict[str, str]


@dataclass
class Survey:
    """Problems found page by page, reported together at the end."""

    axe: Axe = field(default_factory=Axe)
    widths: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, page, name: str) -> None:
        """Open every disclosure, then measure the width, the markup and axe-core's verdict."""
        page.wait_for_load_state("load")
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        found = page.evaluate(MARKUP)
        self.widths[name] = found["width"]
        if found["width"] > PHONE["width"]:
            self.problems.append(f"{name}: {found['width']} px wide at {PHONE['width']} px")
        if found["duplicateIds"]:
            self.problems.append(f"{name}: duplicate ids {found['duplicateIds']}")
        if found["danglingLabels"]:
            self.problems.append(f"{name}: labels for missing ids {found['danglingLabels']}")
        result = self.axe.run(page).response
        if not result["passes"]:
            self.problems.append(f"{name}: axe-core checked nothing")
        for violation in result["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [" ".join(node["target"]) for node in violation["nodes"]][:4]
                self.problems.append(f"{name}: axe {violation['id']} ({violation['impact']}) at {targets}")
        shoot(page, f"phone-{name}")


def _phone(browser, **options):
    context = browser.new_context(viewport=PHONE, **options)
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture(scope="module")
def world(servers, browser):
    """Lever connected through the sandbox's consent page; one applicant per test on "Data Analyst",
    each invited by email (read back from the Outbox)."""
    base, sandbox = servers.dashboard, servers.sandbox
    owner = _phone(browser)
    owner.on("dialog", lambda dialog: dialog.accept())
    log_in(owner, base, "owner@acme.example")
    connect_lever(owner, base, sandbox)

    apply_in_lever(sandbox, "Data Analyst", APPLICANTS.values())
    links: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while len(links) < len(APPLICANTS) and time.monotonic() < deadline:
        owner.goto(f"{base}/outbox")
        for key, (_name, email) in APPLICANTS.items():
            row = owner.locator("tr", has_text=email)
            if key not in links and row.count():
                owner.goto(base + row.locator("a").first.get_attribute("href"))
                text = owner.locator("pre.mail-text").inner_text()
                links[key] = re.search(r"https?://\S+/a/[\w-]+", text).group(0)
                owner.goto(f"{base}/outbox")
        if len(links) < len(APPLICANTS):
            time.sleep(0.5)
    assert len(links) == len(APPLICANTS), f"invitations seen: {sorted(links)}"
    yield World(base, sandbox, owner, links)
    owner.context.close()


def _go(page, target: str) -> None:
    """Click what leads to another page (a link, or a form that redirects) and wait for that page."""
    with page.expect_navigation():
        page.locator(target).first.click()


def _answer_everything(page) -> None:
    for fieldset in page.locator("fieldset").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count():
            radios.first.check()
        else:
            fieldset.locator("textarea").fill("Compare cohorts of returning users before and after the change.")


def test_unanswered_questions_are_flagged_before_a_part_is_submitted(world, browser):
    page = _phone(browser)
    page.goto(world.links["warning"])
    _go(page, "button:has-text('Start the assessment')")  # the part's page loaded, its script running
    form = page.locator("form[data-unanswered-check]")
    expect(form).to_contain_text(re.compile("cannot (be )?(undo|change|come back)", re.IGNORECASE))
    panel = page.locator("[data-unanswered-panel]")
    expect(panel).to_be_hidden()

    questions = page.locator("fieldset")
    questions.nth(0).locator("input[type=radio]").first.check()
    page.click("button:has-text('Submit this part')")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("3 of 4")
    expect(panel.locator("a")).to_have_text(["Question 2", "Question 3", "Question 4"])
    assert "/parts/1" in page.url  # nothing was sent

    panel.locator("button:has-text('Go back')").click()
    expect(panel).to_be_hidden()
    focused = page.evaluate("() => document.activeElement.closest('fieldset')?.querySelector('legend')?.textContent")
    assert focused == "Question 2"

    questions.nth(1).locator("input[type=radio]").first.check()
    page.click("button:has-text('Submit this part')")
    expect(panel).to_contain_text("2 of 4")
    with page.expect_navigation():
        panel.locator("button:has-text('Submit with')").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page.locator("h1")).to_have_text("Written analysis")

    # A fully answered part goes straight through.
    _answer_everything(page)
    page.click("button:has-text('Submit this part')")
    expect(page.locator("main")).to_contain_text("completed this assessment")
    page.context.close()


def test_without_javascript_a_part_with_blanks_is_still_accepted(world, browser):
    page = _phone(browser, java_script_enabled=False)
    page.goto(world.links["no-script"])
    _go(page, "button:has-text('Start the assessment')")
    panel = page.locator("[data-unanswered-panel]")
    expect(panel).to_have_count(1)
    expect(panel).to_be_hidden()
    _go(page, "button:has-text('Submit this part')")
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    page.context.close()


def test_the_time_left_counts_down_and_says_when_time_is_up(world, browser):
    page = _phone(browser)
    page.clock.install()
    page.goto(world.links["countdown"])
    _go(page, "button:has-text('Start the assessment')")
    timer = page.locator("[data-countdown-to]")
    expect(timer).to_have_text(re.compile(r"^(4[45]:\d\d)$"))  # a 45-minute limit, just started
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=2_500)
    ends = timer.get_attribute("data-countdown-to")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", ends)

    page.clock.fast_forward("46:00")
    expect(timer).to_have_text("0:00")
    expect(page.locator("[data-countdown-done]")).to_be_visible()
    expect(page.locator("[data-countdown-done]")).to_contain_text("Time is up")
    page.context.close()


def test_every_page_fits_a_phone_and_passes_axe(world, browser):
    base, owner, survey = world.base, world.owner, Survey()
    not_found: list[str] = []

    anonymous = _phone(browser)
    anonymous.on("response", lambda r: not_found.append(r.url) if r.status == 404 and "not-a-real" not in r.url
                 else None)
    anonymous.goto(f"{base}/login")
    survey.check(anonymous, "login")
    anonymous.goto(f"{base}/a/not-a-real-link")
    survey.check(anonymous, "take-unknown")

    # The candidate's pages, from the Outbox link.
    take = _phone(browser)
    take.on("response", lambda r: not_found.append(r.url) if r.status == 404 else None)
    take.goto(world.links["survey"])
    survey.check(take, "take-landing")
    _go(take, "button:has-text('Start the assessment')")
    survey.check(take, "take-part")
    take.click("button:has-text('Submit this part')")
    expect(take.locator("[data-unanswered-panel]")).to_be_visible()
    survey.check(take, "take-part-warning")
    take.locator("[data-unanswered-panel] button:has-text('Go back')").click()
    _answer_everything(take)
    _go(take, "button:has-text('Submit this part')")
    expect(take.locator("h1")).to_have_text("Written analysis")
    survey.check(take, "take-part-2")
    take.goto(world.links["survey"])
    survey.check(take, "take-in-progress")
    _go(take, "a:has-text('Written analysis')")
    _answer_everything(take)
    _go(take, "button:has-text('Submit this part')")
    expect(take.locator("main")).to_contain_text("completed this assessment")
    survey.check(take, "take-completed")
    take.context.close()

    # Every staff page in the main navigation, then the detail pages they lead to.
    owner.on("response", lambda r: not_found.append(r.url) if r.status == 404 and "/999999" not in r.url
             else None)
    owner.goto(f"{base}/")
    nav = [(a.inner_text(), a.get_attribute("href")) for a in owner.locator("nav[aria-label=Main] a").all()]
    assert len(nav) == 9, nav  # Needs attention included
    for label, href in nav:
        owner.goto(f"{base}{href}")
        survey.check(owner, "nav-" + re.sub(r"\W+", "-", label.lower()))

    # The funnel is drawn smaller on a phone, but every label stays whole and legible.
    owner.goto(f"{base}/lever/")
    labels = owner.evaluate("""() => [...document.querySelectorAll("figure.funnel svg")].flatMap((svg) => {
      const box = svg.getBoundingClientRect();
      return [...svg.querySelectorAll("text")].map((t) => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, inside: r.left >= box.left && r.right <= box.right + 0.5, height: r.height};
      });
    })""")
    assert len(labels) == 10, labels  # one funnel of five steps, label and value each
    assert [t for t in labels if not t["inside"] or t["height"] < 11] == []

    details = [
        ("lever-candidate", f"{base}/lever/candidates", "a.cand-name:has-text('Ada Lovelace')"),
        ("people", f"{base}/lever/candidates?sort=name", None),
        ("people-candidate-open", f"{base}/lever/candidates", "a.cand-name:has-text('Barbara Liskov')"),
        ("people-candidate-done", f"{base}/lever/candidates", "a.cand-name:has-text('Ada Lovelace')"),
        ("assessment", f"{base}/assessments/", "a:has-text('Data Analyst Assessment')"),
        ("assessment-edit", None, "a:has-text('Edit settings')"),
        ("evaluate", f"{base}/people/evaluation", "tr:has-text('Ada Lovelace') a:has-text('Evaluate')"),
        ("outbox-message", f"{base}/outbox", "tr:has-text('ada@example.com') a"),
        ("users", f"{base}/settings", "a:has-text('Manage users')"),
        ("lever-settings", f"{base}/settings/integrations/lever", None),
        ("activity-webhooks", f"{base}/lever/activity?kind=webhooks", None),
        ("not-found", f"{base}/lever/candidates/999999", None),
    ]
    for name, url, link in details:
        if url:
            owner.goto(url)
        if link:
            _go(owner, link)
        survey.check(owner, name)

    # A draft with a part of each kind: the forms to add questions, one per part, side by side.
    owner.goto(f"{base}/assessments/new")
    survey.check(owner, "assessment-new")
    owner.fill("input[name=name]", "Phone check")
    _go(owner, "button:has-text('Create draft')")
    for name, grading in (("Basics", "auto"), ("Essay", "manual")):
        owner.fill("#addpart-h ~ form input[name=name]", name)
        owner.select_option("#addpart-h ~ form select[name=grading]", grading)
        _go(owner, "button:has-text('Add part')")
    expect(owner.locator("h3")).to_have_count(2)
    survey.check(owner, "assessment-draft")

    owner.goto(f"{base}/favicon.ico")
    assert "image/svg" in (owner.evaluate("() => document.contentType") or "")

    widest = max(survey.widths, key=survey.widths.get)
    print(f"\nwidest page at {PHONE['width']} px: {widest} ({survey.widths[widest]} px); "
          f"{len(survey.widths)} pages checked")
    assert not not_found, f"404 answers while browsing: {sorted(set(not_found))}"
    assert not survey.problems, "\n".join(survey.problems)
