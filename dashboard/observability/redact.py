"""Scrub credentials out of text before it reaches a log line."""

from __future__ import annotations

import re

MASK = "[redacted]"

_PATTERNS = (
    # Authorization headers and bearer credentials in any form
    re.compile(r"(?i)\b(authorization)(\s*[:=]\s*|\"\s*:\s*\")([^\"\n,;]+)"),
    re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/=]{4,})"),
    # key=value / "key": "value" pairs whose key names a secret
    re.compile(r"(?i)\b([\w-]*(?:token|signature|secret|password|passwd|api[_-]?key|code_verifier|"
               r"client_secret|cookie)[\w-]*)(\"?\s*[:=]\s*\"?'?)([^\"'\s,;&}]+)"),
    # the candidate's secret link and the set-password link
    re.compile(r"(/a/)()([A-Za-z0-9_\-]{8,})"),
    re.compile(r"(/set-password/)()([A-Za-z0-9_\-.]{8,})"),
    # OAuth authorization codes and states in query strings (the Lever callback)
    re.compile(r"(?i)([?&](?:code|state))(=)([^&\s\"']+)"),
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")


def redact(text: str) -> str:
    """`text` with every credential-looking value replaced by `[redacted]`."""
    if not text:
        return text
    text = _JWT.sub(MASK, text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return text
