"""`python -m bench [b1 b2 ...]`: run every benchmark script's `main()` in order and print all tables.

With names, only those benchmarks run (each with its default size). Benchmarks print figures;
they never fail on wall-clock times.
"""

from __future__ import annotations

import importlib
import re
import sys
import traceback
from pathlib import Path

SCRIPT = re.compile(r"^(b\d+)_\w+\.py$")


def scripts() -> list[tuple[str, str]]:
    """(short name, module) of every bench/bN_*.py, in order of N."""
    found = []
    for path in Path(__file__).resolve().parent.iterdir():
        match = SCRIPT.match(path.name)
        if match:
            found.append((int(match.group(1)[1:]), match.group(1), f"bench.{path.stem}"))
    return [(short, module) for _, short, module in sorted(found)]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks (all by default); returns 1 when one of them crashed."""
    wanted = set(argv if argv is not None else sys.argv[1:])
    crashed = []
    for short, module in scripts():
        if wanted and short not in wanted:
            continue
        print(f"\n######## {module}", flush=True)
        try:
            importlib.import_module(module).main([])
        except Exception:  # keep going: one broken benchmark must not hide the others' figures
            traceback.print_exc()
            crashed.append(module)
    if crashed:
        print(f"\nbenchmarks that crashed: {', '.join(crashed)}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
