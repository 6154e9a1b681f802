"""Security headers on every response.

The Content-Security-Policy allows scripts only from this site (no inline script, no eval);
inline style attributes stay allowed because the rendered emails and a few templates use them.
"""

from __future__ import annotations

from flask import Flask, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(env_name: str | None) -> dict[str, str]:
    """The headers added to every response in environment `env_name`."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if env_name != "development":
        headers["Strict-Transport-Security"] = HSTS
    return headers


def register(app: Flask) -> None:
    """Add the headers after every request (a view may set its own CSP, which is kept). Pages and
    answers are never cached (they show people's data; the candidate's pages carry their secret link);
    static files keep their own caching."""

    @app.after_request
    def add_security_headers(response):
        for name, value in security_headers(app.config.get("ENV_NAME")).items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
