"""Screenshots of the browser tests: under test-artifacts/, and the documentation's on request."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def shoot(page, name: str, docs: bool = False) -> None:
    """Full-page screenshot under test-artifacts/; with UPDATE_SCREENSHOTS=1 the main ones also
    replace those under docs/screenshots/ (so an ordinary test run leaves the tree clean)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("UPDATE_SCREENSHOTS"):
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / f"{name}.png")
