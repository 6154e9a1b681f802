"""gunicorn settings for the dashboard's web processes (`make serve`, deploy/dashboard-web.service).

Everything can be overridden from the environment: PORT / BIND, WEB_CONCURRENCY, WEB_THREADS,
WEB_TIMEOUT, GRACEFUL_TIMEOUT. Access logging is left to the app, which logs the route pattern
with a request id and never the raw path or query string (secret links, OAuth codes).
"""

import os

bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "20"))
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "100000"))
max_requests_jitter = 5000
preload_app = False  # each worker builds its own app and database pool after the fork
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "wsgi:app"


def child_exit(server, worker):
    """Let Prometheus forget the live gauges of a web worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
