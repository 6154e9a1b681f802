"""`make fuzz`: the pipeline state machine and the webhook fuzzers with fresh random seeds, round after
round, for FUZZ_MINUTES (default 10). CI runs the same tests derandomized (the same examples every
time, for regression); here every round explores new ones.

Each round runs the tests under one seed; a failing round prints its seed and the command that
replays it. At the end: rounds, examples run per test, failures. Exit status 1 when any round failed.

Sizes per round: SM_EXAMPLES (default 20) × SM_STEPS (default 30) for the state machine, FUZZ_EXAMPLES
(default 200) per webhook property.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["tests/reliability/test_pipeline_state_machine.py::test_pipeline_state_machine",
           "tests/reliability/test_webhook_fuzz.py"]
# "tests/x.py::test_name:" then, in its block, "- 20 passing, 1 failing, and 0 invalid test cases"
HEADER = re.compile(r"^(tests/\S+::\S+):$")
COUNTS = re.compile(r"- (\d+) passing, (\d+) failing, and (\d+) invalid test cases")
MACHINE = re.compile(r"pipeline state machine: .*'examples settled': (\d+)")


def examples_by_test(output: str) -> Counter:
    """Examples run per test, from Hypothesis' statistics (every phase: generate, reuse, shrink)."""
    counts: Counter = Counter()
    test = None
    for line in output.splitlines():
        header = HEADER.match(line.strip())
        if header:
            test = header.group(1).split("::")[-1]
            continue
        found = COUNTS.search(line)
        if found and test:
            counts[test] += sum(int(n) for n in found.groups())
        machine = MACHINE.search(line)
        if machine:  # the state machine reports its own figures (its examples are runs of the machine)
            counts["test_pipeline_state_machine"] += int(machine.group(1))
    return counts


def run_round(seed: int) -> tuple[bool, Counter, str]:
    """One round of every target under `seed`: (passed, examples per test, pytest's output)."""
    env = dict(os.environ, SM_RANDOM="1", FUZZ_RANDOM="1", FUZZ_EXAMPLES=os.environ.get("FUZZ_EXAMPLES", "200"))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-s", f"--hypothesis-seed={seed}",
            "--hypothesis-show-statistics", *TARGETS]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode == 0, examples_by_test(done.stdout), done.stdout + done.stderr


def main() -> int:
    minutes = float(os.environ.get("FUZZ_MINUTES", "10"))
    deadline = time.monotonic() + minutes * 60
    started = time.monotonic()
    examples: Counter = Counter()
    failures: list[int] = []
    rounds = 0
    print(f"== fuzzing for {minutes:g} minutes: {', '.join(TARGETS)}", flush=True)
    while time.monotonic() < deadline:
        seed = random.SystemRandom().randrange(2 ** 32)
        passed, counts, output = run_round(seed)
        rounds += 1
        examples.update(counts)
        print(f"round {rounds}: seed {seed}: {'ok' if passed else 'FAILED'} "
              f"({sum(counts.values())} examples)", flush=True)
        if not passed:
            failures.append(seed)
            print(output[-6000:], flush=True)
            print(f"== replay: SM_RANDOM=1 FUZZ_RANDOM=1 python -m pytest --hypothesis-seed={seed} "
                  f"{' '.join(TARGETS)}", flush=True)
    elapsed = (time.monotonic() - started) / 60
    print(f"== {rounds} rounds in {elapsed:.1f} minutes, {sum(examples.values())} examples: "
          + ", ".join(f"{test} {n}" for test, n in sorted(examples.items())), flush=True)
    print(f"== failures: {len(failures)}" + (f" (seeds {', '.join(map(str, failures))})" if failures else ""),
          flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
