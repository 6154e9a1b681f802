"""B6: memory. Peak RSS of each gunicorn web worker through B1's load, and of a process serving
B4's pages (when bench/b4_dashboard.py exists), sampled from /proc/<pid>/status. Target < 150 MB.

    python -m bench.b6_memory [--size N] [--b4-candidates N]
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

from bench.common import ROOT, command_line, print_table, rss_kb, verdict

TARGET_MB = 150


def b4_peak(candidates: int) -> tuple[float | None, str]:
    """Peak RSS (MB) of a B4 run at a small size (pages served in-process, data generated first)."""
    if importlib.util.find_spec("bench.b4_dashboard") is None:
        return None, "bench/b4_dashboard.py not present"
    proc = subprocess.Popen([sys.executable, "-m", "bench.b4_dashboard", "--engines", "sqlite",
                             "--candidates", str(candidates), "--history", str(candidates * 10), "--repeat", "5"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, rss_kb(proc.pid) or 0)
        time.sleep(0.1)
    note = f"{candidates:,} candidates, {candidates * 10:,} history rows, SQLite; exit {proc.returncode}"
    return peak / 1024, note


def run(size: int = 1000, b4_candidates: int = 5000) -> dict:
    """B1 at `size` deliveries per run with RSS sampling, then B4 small; prints and returns the peaks."""
    from bench import b1_webhooks

    figures = b1_webhooks.run(size=size, repeat=1, seconds=3.0)
    peaks = [kb / 1024 for kb in figures["rss_peaks_kb"].values()]
    b4_mb, b4_note = b4_peak(b4_candidates)
    rows = [(f"gunicorn web worker {n + 1}, through B1", f"{mb:.0f} MB",
             f"< {TARGET_MB} MB ({verdict(mb < TARGET_MB)})") for n, mb in enumerate(peaks)]
    if b4_mb is not None:
        rows.append((f"process serving B4 pages ({b4_note})", f"{b4_mb:.0f} MB",
                     f"< {TARGET_MB} MB ({verdict(b4_mb < TARGET_MB)})"))
    else:
        rows.append(("B4 page load", "-", b4_note))
    print_table("B6: peak resident memory (VmRSS)", ("process", "peak RSS", "target"), rows)
    return {"b1_worker_peaks_mb": peaks, "b4_peak_mb": b4_mb}


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b6_memory [--size N] [--b4-candidates N]`."""
    return command_line(run, __doc__, argv,
                        ("--size", int, 1000, "deliveries per B1 throughput run"),
                        ("--b4-candidates", int, 5000, "candidates in the B4 data set"))


if __name__ == "__main__":
    main()
