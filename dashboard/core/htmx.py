"""htmx responses: the swappable partial for an htmx request, the whole page (or a redirect) otherwise.

Every such response says `Vary: HX-Request`, so a cache never serves the fragment for the page.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request


def is_htmx() -> bool:
    """True when htmx made this request (it sends `HX-Request: true`)."""
    return request.headers.get("HX-Request") == "true"


def _vary(response):
    response.vary.add("HX-Request")
    return response


def partial_or_page(partial: str, page: str, status: int = 200, **context):
    """Render the partial for htmx, the page otherwise."""
    return _vary(make_response(render_template(partial if is_htmx() else page, **context), status))


def partial_or_redirect(partial: str, target: str, status: int = 200, note: tuple[str, str] | None = None,
                        **context):
    """Render the partial for htmx (which shows the outcome itself); otherwise flash `note`
    ((message, category)) and redirect to `target`, the page that shows the partial."""
    if is_htmx():
        return _vary(make_response(render_template(partial, **context), status))
    if note:
        flash(*note)
    return _vary(redirect(target))
