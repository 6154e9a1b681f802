"""A live dashboard server in a thread (real HTTP), for tests where Lever must reach us."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LiveServer:
    """Serve `app` on a free loopback port until `stop()`."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
