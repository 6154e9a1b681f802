"""The dashboard's web process for the browser tests: the app alone, no background thread (the tests
start `flask worker` and `flask scheduler` as processes of their own, as production does)."""

from __future__ import annotations

import os
import signal
import threading

from werkzeug.serving import make_server

from dashboard import create_app


def main() -> None:
    """Serve on PORT until SIGTERM."""
    app = create_app({"SANDBOX_PORT": int(os.environ["SANDBOX_PORT"])})
    server = make_server("127.0.0.1", int(os.environ["PORT"]), app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    thread.join()
    # Nothing else runs in this process: any thread beyond the server's would be a bug.
    stray = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t is not thread]
    if stray:
        raise SystemExit(f"threads left in the web process: {stray}")


if __name__ == "__main__":
    main()
