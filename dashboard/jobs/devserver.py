"""`make run`: the embedded default in one command.

Starts the Lever sandbox (its own HTTP server), one `flask worker` and one `flask scheduler` as child
processes (the web process starts no thread of background work, as in production), and serves the
dashboard in this process; then prints where to go and how to log in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from werkzeug.serving import WSGIRequestHandler, make_server

from dashboard.config import INSTANCE
from dashboard.jobs.serve import commands, stop_all

DEMO_LOGINS = (("owner", "owner@acme.example"), ("admin", "admin@acme.example"),
               ("recruiter", "recruiter@acme.example"))


class QuietRequestHandler(WSGIRequestHandler):
    """The development server without its own request lines: they would print every static file and
    the raw path (candidate links, set-password tokens, OAuth codes). The app's access log names the
    route pattern of each page instead, redacted like every other line."""

    def log_request(self, code="-", size="-") -> None:
        """Requests are logged by the app (dashboard.access), not here."""


def start_sandbox(port: int) -> subprocess.Popen:
    """Run `python -m lever_sandbox` on `port` with its data under instance/ (or SANDBOX_DATA) and the
    demo seed."""
    INSTANCE.mkdir(exist_ok=True)
    data = os.environ.get("SANDBOX_DATA") or str(INSTANCE / "sandbox.db")
    proc = subprocess.Popen([sys.executable, "-m", "lever_sandbox", "--port", str(port),
                             "--data", data, "--demo"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"The Lever sandbox exited (code {proc.returncode}); is port {port} free?")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310 (loopback)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"The Lever sandbox did not answer on port {port}.")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Serve until Ctrl-C; stop the worker, the scheduler and the sandbox on the way out."""
    from dashboard import create_app  # noqa: PLC0415  (this entry point builds the app it serves)

    port = int(os.environ.get("PORT", "5000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "5001"))
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    sandbox = start_sandbox(sandbox_port)
    app = create_app({"SANDBOX_PORT": sandbox_port})
    env = dict(os.environ, SANDBOX_PORT=str(sandbox_port), PYTHONUNBUFFERED="1")
    background = {name: subprocess.Popen(argv, env=env) for name, argv in commands(workers=1)
                  if name != "web"}
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    logins = "\n".join(f"    {role:<10} {email} / demo-password" for role, email in DEMO_LOGINS)
    print(f"""
  Dashboard      http://127.0.0.1:{port}
  Lever sandbox  http://127.0.0.1:{sandbox_port}   (its recruiter UI: add applicants, move stages)
  Demo logins:
{logins}
  Connect Lever: Organisation settings → Lever → Enable → accept as "Sam Super".
  Ctrl-C stops everything.
""", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # a supervisor's stop ends it like Ctrl-C: the sandbox too
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stop_all(background, grace=10)
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
