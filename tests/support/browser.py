"""Browser helpers: log in through the real login page as a demo user."""

from __future__ import annotations

from playwright.sync_api import expect

PASSWORD = "demo-password"  # every demo user's


def log_in(page, base: str, email: str) -> None:
    """Log in through the real login page as one of the demo users."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page.locator("header .who")).to_contain_text(email.split("@")[0].title()[:3])
