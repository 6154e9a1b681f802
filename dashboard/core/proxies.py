"""Client addresses behind a reverse proxy, trusting `X-Forwarded-*` only from known proxies.

`FORWARDED_ALLOW_IPS` (the setting gunicorn reads too) lists the proxies' addresses or networks,
comma-separated, or `*`. A request arriving from one of them gets its client address and scheme from
the last hop of `X-Forwarded-For` / `X-Forwarded-Proto` (werkzeug's ProxyFix); from anywhere else
those headers are ignored, so nobody can choose the address the login limits count against.
"""

from __future__ import annotations

import ipaddress

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def _networks(setting: str) -> list | None:
    """The trusted networks of FORWARDED_ALLOW_IPS; None means every address (`*`)."""
    items = [part.strip() for part in (setting or "").split(",") if part.strip()]
    if "*" in items:
        return None
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise RuntimeError(f"FORWARDED_ALLOW_IPS holds {item!r}, which is not an IP address or network") from exc
    return networks


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests from trusted proxies, nothing for the others."""

    def __init__(self, app, trusted: str) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        self.networks = _networks(trusted)

    def trusts(self, address: str | None) -> bool:
        """True when `address` is one of the trusted proxies."""
        if self.networks is None:
            return True
        try:
            ip = ipaddress.ip_address((address or "").split("%")[0])
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def trust_forwarded_headers(app: Flask) -> None:
    """Wrap the app's WSGI callable (idempotent per app)."""
    if not isinstance(app.wsgi_app, TrustedProxyFix):
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config.get("FORWARDED_ALLOW_IPS") or "127.0.0.1")
