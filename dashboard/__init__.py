"""The dashboard: an assessment platform with an embedded Lever integration.

`create_app()` reads as a table of contents: settings, extensions, blueprints,
error handlers, commands. Nothing starts a thread or touches the database here.
"""

from __future__ import annotations

from flask import Flask

from dashboard.config import ROOT, check_production, load_config


def create_app(config: dict | type | None = None) -> Flask:
    """Build the Flask application. `config` overrides the environment's settings."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(load_config())
    if isinstance(config, dict):
        app.config.from_mapping(config)
    elif config is not None:
        app.config.from_object(config)
    check_production(app.config)
    register_request_handling(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_observability(app)
    register_checks(app)
    register_integrations(app)
    return app


def register_request_handling(app: Flask) -> None:
    """Bounded integers in URLs; client addresses from trusted proxies only."""
    from dashboard.core.params import BoundedIntConverter
    from dashboard.core.proxies import trust_forwarded_headers

    app.url_map.converters["int"] = BoundedIntConverter
    trust_forwarded_headers(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    import dashboard.lever.api.pacing_pg  # noqa: F401  (shared Lever pacing buckets)
    import dashboard.models  # noqa: F401  (every table known to metadata and Alembic)
    from dashboard.extensions import csrf, db, install_sqlite_pragmas, limiter, login_manager, migrate

    install_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from dashboard.accounts import auth

    auth.init_login(login_manager)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature package."""
    from dashboard.accounts.routes import bp as accounts_bp
    from dashboard.assessments.routes import bp as assessments_bp
    from dashboard.attempts.routes import bp as attempts_bp
    from dashboard.attempts.take import bp as take_bp
    from dashboard.core.routes import bp as core_bp
    from dashboard.lever.connection.routes import bp as lever_connect_bp
    from dashboard.lever.sync.webhooks import bp as webhooks_bp
    from dashboard.lever.views.routes import bp as lever_bp
    from dashboard.lever.views.sync_routes import bp as lever_sync_bp
    from dashboard.mail.routes import bp as mail_bp
    from dashboard.org.routes import bp as org_bp

    for bp in (core_bp, accounts_bp, org_bp, assessments_bp, attempts_bp, take_bp, mail_bp,
               lever_bp, webhooks_bp, lever_connect_bp, lever_sync_bp):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for the errors a user can cause; never a stack trace."""
    from dashboard.core.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters and globals shared by every template."""
    from dashboard.core.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    """CLI: users, demo data, worker and scheduler."""
    from dashboard.commands import register

    register(app)


def register_integrations(app: Flask) -> None:
    """Let the Lever integration listen to the platform's domain events."""
    from dashboard.lever.sync.subscribers import connect_signals

    connect_signals()


def register_checks(app: Flask) -> None:
    """Refuse requests on an unmigrated database, with a clear message."""
    from dashboard.core.migrations_check import register

    register(app)


def register_observability(app: Flask) -> None:
    """Request ids, JSON logs, security headers, `/metrics` and `/readyz`."""
    from dashboard.observability import register_observability as register

    register(app)
