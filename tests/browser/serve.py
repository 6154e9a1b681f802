"""The dashboard as `make run` serves it (web + worker + scheduler threads), without starting a sandbox:
the browser tests start the sandbox themselves so its data lives in their temporary directory."""

from __future__ import annotations

import os
import signal
import threading

from werkzeug.serving import make_server

from dashboard import create_app
from dashboard.jobs.cli import start_background


def main() -> None:
    """Serve on PORT until SIGTERM."""
    port = int(os.environ["PORT"])
    app = create_app({"SANDBOX_PORT": int(os.environ["SANDBOX_PORT"])})
    stop = threading.Event()
    threads = start_background(app, stop)
    server = make_server("127.0.0.1", port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    thread.join()
    stop.set()
    for t in threads:
        t.join(5)


if __name__ == "__main__":
    main()
