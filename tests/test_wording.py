"""Words people read: no lazy plurals such as "write(s)" in any template or message of the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAZY_PLURAL = re.compile(r"(?<![\w.])[A-Za-z]+\((?:s|es)\)")  # a word, not a call such as copy_tag(s)
ALLOWED = {"http(s)"}  # a URL scheme, not a plural


def test_no_lazy_plurals_in_templates_or_messages():
    found = []
    files = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt"), *ROOT.glob("dashboard/**/*.py")]
    assert files
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in LAZY_PLURAL.finditer(line):
                if match.group(0) not in ALLOWED:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
