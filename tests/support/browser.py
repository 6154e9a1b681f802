"""Browser helpers: log in through the real login page as a demo user, connect Lever through the
sandbox's consent page, and put applicants in the sandbox as if they applied in Lever."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterable

from playwright.sync_api import expect

PASSWORD = "demo-password"  # every demo user's


def log_in(page, base: str, email: str) -> None:
    """Log in through the real login page as one of the demo users."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page.locator("header .who")).to_contain_text(email.split("@")[0].title()[:3])


def connect_lever(page, base: str, sandbox: str) -> None:
    """As a logged-in owner: Enable Lever on the settings page, accept on the sandbox's consent page
    performing as Sam Super, and see the card say Connected."""
    page.goto(f"{base}/settings")
    page.locator("#lever-card button:has-text('Enable')").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox)}/"))
    option = page.locator("select[name=user_id] option", has_text="Sam Super").first
    page.select_option("select[name=user_id]", value=option.get_attribute("value"))
    page.click("button[value=accept]")
    expect(page.locator("#lever-card h2")).to_contain_text("Connected")


def sandbox_admin(sandbox: str, path: str, body: dict | None = None):
    """The sandbox's JSON admin API (GET without a body, POST with one); the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{sandbox}{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (loopback)
        return json.loads(resp.read() or b"null")


def apply_in_lever(sandbox: str, job: str, people: Iterable[tuple[str, str]]) -> list[dict]:
    """Each (name, email) applies to the sandbox's posting titled `job`; the opportunities made."""
    posting = next(p for p in sandbox_admin(sandbox, "/_admin/state")["postings"] if p["text"] == job)
    return sandbox_admin(sandbox, "/_admin/applications", {"applications": [
        {"posting_id": posting["id"], "name": name, "email": email} for name, email in people]})
