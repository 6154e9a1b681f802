"""The main navigation offers each role only pages that role may open."""

from __future__ import annotations

import re

import pytest

from tests.support.clients import login

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


def nav_links(html: str) -> list[tuple[str, str]]:
    match = NAV.search(html)
    assert match, "no main navigation on the page"
    return [(label.strip(), href) for href, label in LINK.findall(match.group(1))]


@pytest.mark.parametrize(("role", "hidden"), [
    ("owner", set()),
    ("admin", set()),
    ("recruiter", {"Evaluation"}),
])
def test_every_nav_link_opens_for_its_role(client, dash, make_user, role, hidden):
    user = dash.owner if role == "owner" else make_user(role, org=dash.org)
    client.post("/logout")
    login(client, user)
    page = client.get("/lever/")
    assert page.status_code == 200
    links = nav_links(page.get_data(as_text=True))
    labels = {label for label, _ in links}
    assert {"Overview", "Candidates", "Outbox"} <= labels
    assert not labels & hidden, f"{role} is offered {labels & hidden}"
    for label, href in links:
        assert client.get(href).status_code == 200, f"{role}: nav link {label} ({href})"
