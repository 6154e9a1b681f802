"""Where Lever lives: one preset of URLs per environment, overridable from configuration.

No other module spells a Lever host; they ask `environment_from_config(app.config)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LeverEnvironment:
    """The five URLs that locate one Lever deployment."""

    name: str
    api_url: str  # Data API root, no trailing slash (e.g. https://api.lever.co/v1)
    authorize_url: str  # OAuth consent page
    token_url: str  # OAuth token endpoint
    audience: str  # `audience` parameter of the authorize request (trailing slash)
    hire_url: str  # recruiter UI root, no trailing slash


DEFAULT_SANDBOX_PORT = 5001


def local_environment(port: int = DEFAULT_SANDBOX_PORT, host: str = "127.0.0.1") -> LeverEnvironment:
    """The embedded Lever sandbox on this machine (`python -m lever_sandbox --port <port>`)."""
    root = f"http://{host}:{int(port)}"
    return LeverEnvironment(
        name="local",
        api_url=f"{root}/v1",
        authorize_url=f"{root}/authorize",
        token_url=f"{root}/oauth/token",
        audience=f"{root}/v1/",
        hire_url=root,
    )


ENVIRONMENTS: dict[str, LeverEnvironment] = {
    "production": LeverEnvironment(
        name="production",
        api_url="https://api.lever.co/v1",
        authorize_url="https://auth.lever.co/authorize",
        token_url="https://auth.lever.co/oauth/token",
        audience="https://api.lever.co/v1/",
        hire_url="https://hire.lever.co",
    ),
    "sandbox": LeverEnvironment(
        name="sandbox",
        api_url="https://api.sandbox.lever.co/v1",
        authorize_url="https://sandbox-lever.auth0.com/authorize",
        token_url="https://sandbox-lever.auth0.com/oauth/token",
        audience="https://api.sandbox.lever.co/v1/",
        hire_url="https://hire.sandbox.lever.co",
    ),
    # Lever has not published EU OAuth hosts; these follow the API host pattern and are meant
    # to be confirmed (or replaced with LEVER_AUTHORIZE_URL / LEVER_TOKEN_URL) before use.
    "eu": LeverEnvironment(
        name="eu",
        api_url="https://api.eu.lever.co/v1",
        authorize_url="https://auth.eu.lever.co/authorize",
        token_url="https://auth.eu.lever.co/oauth/token",
        audience="https://api.eu.lever.co/v1/",
        hire_url="https://hire.eu.lever.co",
    ),
    "local": local_environment(),
}

_ALIASES = {"custom": "local", "prod": "production"}

_OVERRIDES = {
    "LEVER_API_URL": "api_url",
    "LEVER_AUTHORIZE_URL": "authorize_url",
    "LEVER_TOKEN_URL": "token_url",
    "LEVER_AUDIENCE": "audience",
    "LEVER_HIRE_URL": "hire_url",
}


def _checked_url(setting: str, value: object) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{setting} must be an absolute http(s) URL, got {text!r}")
    return text


def environment_from_config(config: Mapping) -> LeverEnvironment:
    """Pick the preset named by LEVER_ENV (default "local") and apply any LEVER_*_URL overrides.

    The local preset uses SANDBOX_PORT. When the local API URL is overridden without an
    audience, the audience follows the API URL. Raises ValueError for an unknown environment
    or a malformed URL.
    """
    raw_name = str(config.get("LEVER_ENV") or "local").strip().lower()
    name = _ALIASES.get(raw_name, raw_name)
    if name not in ENVIRONMENTS:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise ValueError(f"LEVER_ENV must be one of {known}, got {raw_name!r}")
    env = ENVIRONMENTS[name]
    if name == "local":
        env = local_environment(int(config.get("SANDBOX_PORT") or DEFAULT_SANDBOX_PORT))
    changes: dict[str, str] = {}
    for setting, attr in _OVERRIDES.items():
        value = config.get(setting)
        if value not in (None, ""):
            changes[attr] = _checked_url(setting, value)
    for attr in ("api_url", "hire_url"):
        if attr in changes:
            changes[attr] = changes[attr].rstrip("/")
    if name == "local" and "api_url" in changes and "audience" not in changes:
        changes["audience"] = changes["api_url"] + "/"
    return dataclasses.replace(env, **changes) if changes else env
