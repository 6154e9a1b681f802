"""`python -m lever_sandbox --port 5001 --data path.db [--demo] [--host 127.0.0.1]`."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

from . import create_app


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Request lines without query strings (OAuth states and codes travel there) or static files."""

    def log_request(self, code="-", size="-") -> None:
        """One line per request: method, path, status."""
        path = urlsplit(self.path).path
        if not path.startswith("/static/"):
            self.log("info", '"%s %s" %s', self.command, path, code)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox with werkzeug's threaded server until interrupted."""
    parser = argparse.ArgumentParser(prog="lever_sandbox", description="A local stand-in for Lever.")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--demo", action="store_true", help="seed the demo account when empty")
    args = parser.parse_args(argv)
    app = create_app({"DATA": args.data, "DEMO": args.demo})
    server = make_server(args.host, args.port, app, threaded=True, request_handler=PathOnlyRequestHandler)
    print(f"Lever sandbox on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
