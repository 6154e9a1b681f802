"""The embedded Lever sandbox: a separate Flask app that plays Lever for development, demos and tests.

Its endpoints, configuration keys and admin JSON API are listed in `lever_sandbox/README.md`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping

from flask import Flask

from .state import Sandbox
from .store import Store
from .webhooks import Deliverer


def create_app(config: Mapping | None = None) -> Flask:
    """Build the sandbox app. Config keys: DATA (SQLite path), DEMO (seed the demo set when empty)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.urandom(16).hex(), DATA=None, DEMO=False)
    app.config.update(config or {})
    register_state(app)
    register_blueprints(app)
    if app.config["DEMO"]:
        seed_demo(app)
    return app


def register_state(app: Flask) -> None:
    """Open the store and start the webhook deliverer."""
    path = app.config["DATA"] or os.path.join(tempfile.mkdtemp(prefix="lever-sandbox-"), "sandbox.db")
    store = Store(path)
    app.extensions["lever_sandbox"] = Sandbox(store=store, deliverer=Deliverer(store))


def register_blueprints(app: Flask) -> None:
    """OAuth, the Data API (with its guards), the admin JSON API and the recruiter UI."""
    from . import admin, api, api_forms, api_pipeline, oauth, ui  # noqa: F401  (api_* add routes to api.bp)

    api.register_guards(app)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)


def seed_demo(app: Flask) -> None:
    """Seed the demo set unless the data file already holds an account; the demo also plays a
    confidential job and a Lever that refuses `expand=applications` without its scope."""
    from .seed import DEMO_CONFIDENTIAL, seed
    from .settings import update_config

    store = app.extensions["lever_sandbox"].store
    if not store.list("accounts"):
        account = seed(store, {"demo": True})["account"]
        seed(store, {"account_id": account["id"], "postings": [DEMO_CONFIDENTIAL]})
        update_config(store, {"enforce_applications_scope": True})
