"""`make serve`: the production process layout on one machine.

Starts gunicorn (WEB_CONCURRENCY web workers), WORKER_PROCESSES `flask worker` processes (default 1)
and one `flask scheduler`, all sharing one PROMETHEUS_MULTIPROC_DIR so `/metrics` on any web
worker reports every process. SIGTERM or Ctrl-C stops them all gracefully (SIGTERM to each, then
a wait of up to GRACEFUL_TIMEOUT seconds before SIGKILL). If one process dies the others are
stopped too and the exit code is non-zero, so a supervisor restarts the whole set.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard.config import ROOT


def _metrics_dir() -> str:
    """An empty directory for prometheus-client's multiprocess files (emptied at every start)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(Path(tempfile.gettempdir()) / "dashboard-metrics")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    return path


def commands(workers: int | None = None, schedulers: int = 1) -> list[tuple[str, list[str]]]:
    """(name, argv) for every process `make serve` starts."""
    flask = [sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py")]
    workers = workers if workers is not None else int(os.environ.get("WORKER_PROCESSES", "1"))
    procs = [("web", [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")])]
    procs += [(f"worker-{n + 1}", [*flask, "worker"]) for n in range(workers)]
    procs += [(f"scheduler-{n + 1}", [*flask, "scheduler"]) for n in range(schedulers)]
    return procs


def stop_all(procs: dict[str, subprocess.Popen], grace: float) -> None:
    """SIGTERM every live process, wait up to `grace` seconds, then SIGKILL what is left."""
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    """Run the process set until a signal arrives or one of them exits; returns the exit code."""
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=_metrics_dir())
    env.setdefault("PYTHONUNBUFFERED", "1")
    procs: dict[str, subprocess.Popen] = {}
    stopping = {"signal": None}

    def on_signal(signum, frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for name, argv in commands():
        procs[name] = subprocess.Popen(argv, env=env, cwd=str(ROOT))
        print(f"serve: started {name} (pid {procs[name].pid})", file=sys.stderr, flush=True)
    code = 0
    while stopping["signal"] is None:
        dead = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
        if dead:
            print(f"serve: {dead[0][0]} exited with code {dead[0][1]}; stopping the rest", file=sys.stderr,
                  flush=True)
            code = 1
            break
        time.sleep(0.2)
    stop_all(procs, float(os.environ.get("GRACEFUL_TIMEOUT", "20")) + 5)
    print("serve: stopped", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
