"""The dashboard: an assessment platform with an embedded Lever integration.

`create_app()` reads as a table of contents: settings, extensions, blueprints, error handlers,
commands, background work and the wiring between features. Nothing starts a thread or touches the
database here. The factory's steps import what they wire when they run: importing `dashboard`
itself loads no feature.
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
    register_jobs(app)
    register_integrations(app)
    return app


def register_request_handling(app: Flask) -> None:
    """Bounded integers in URLs; client addresses from trusted proxies only."""
    from dashboard.core.params import BoundedIntConverter
    from dashboard.core.proxies import trust_forwarded_headers

    app.url_map.converters["int"] = BoundedIntConverter
    trust_forwarded_headers(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app; every table known to the metadata (and Alembic)."""
    import dashboard.models  # noqa: F401
    from dashboard.accounts.auth import init_login
    from dashboard.core.sql import keep_plans_after_reads
    from dashboard.extensions import csrf, db, install_sqlite_pragmas, limiter, login_manager, migrate

    install_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_login(login_manager)
    keep_plans_after_reads(app, db)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature package (the Lever integration: connection, webhooks, pages)."""
    from dashboard.accounts.routes import bp as accounts_bp
    from dashboard.assessments.routes import bp as assessments_bp
    from dashboard.attempts.routes import bp as attempts_bp
    from dashboard.attempts.take import bp as take_bp
    from dashboard.core.routes import bp as core_bp
    from dashboard.lever.connection.routes import bp as lever_connect_bp
    from dashboard.lever.sync.webhooks import bp as webhooks_bp
    from dashboard.lever.views.automation_routes import bp as lever_automation_bp
    from dashboard.lever.views.candidate_routes import bp as candidates_bp
    from dashboard.lever.views.routes import bp as lever_bp
    from dashboard.lever.views.sync_routes import bp as lever_sync_bp
    from dashboard.mail.routes import bp as mail_bp
    from dashboard.org.routes import bp as org_bp

    for bp in (core_bp, accounts_bp, org_bp, assessments_bp, attempts_bp, take_bp, mail_bp,
               lever_bp, candidates_bp, webhooks_bp, lever_connect_bp, lever_sync_bp, lever_automation_bp):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for the errors a user can cause; never a stack trace."""
    from dashboard.core.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters and globals shared by every template."""
    from dashboard.accounts.services import organisation_timezone
    from dashboard.assessments.rating import rating_for
    from dashboard.core.templating import register

    register(app)
    app.add_template_global(rating_for, "rating_for")
    app.add_template_global(organisation_timezone, "organisation_timezone")


def register_commands(app: Flask) -> None:
    """CLI: users, demo data, Lever keys, worker and scheduler."""
    from dashboard.accounts.cli import users_cli
    from dashboard.demo import demo_cli
    from dashboard.jobs.cli import scheduler_command, worker_command
    from dashboard.lever.connection.cli import lever_cli

    for command in (users_cli, demo_cli, lever_cli, worker_command, scheduler_command):
        app.cli.add_command(command)


def register_observability(app: Flask) -> None:
    """Request ids, JSON logs, security headers, `/metrics` (with the queues' gauges) and `/readyz`."""
    from dashboard.lever.sync.models import Effect, InboxDelivery
    from dashboard.mail.models import MailMessage
    from dashboard.observability import register_observability as register
    from dashboard.observability.metrics import QueueSource, register_queue

    register(app)
    register_queue(QueueSource("outbox", "effects", Effect.state, Effect.created_at))
    register_queue(QueueSource("inbox", "deliveries", InboxDelivery.state, InboxDelivery.received_at))
    register_queue(QueueSource("mail", "emails", MailMessage.status, MailMessage.created_at, waiting="queued",
                               finished=("sent", "stored", "failed", "not_sent")))


def register_checks(app: Flask) -> None:
    """Refuse requests on an unmigrated database, with a clear message."""
    from dashboard.core.migrations_check import register

    register(app)


def register_jobs(app: Flask) -> None:
    """The periodic jobs and the worker's steps of every feature, as data for the scheduler and worker."""
    from dashboard.attempts import jobs as attempt_jobs
    from dashboard.jobs import worker
    from dashboard.jobs.registry import JobSpec, Registry, WorkSource, install
    from dashboard.lever.sync import jobs as lever_jobs
    from dashboard.mail.delivery import deliver_queued

    safety_net = JobSpec("outbox", "Queues safety net", lambda counter: {"processed": worker.run_once()},
                         "SCHEDULE_OUTBOX_SECONDS", 30, misfire_grace_seconds=60)
    install(app, Registry(jobs=(*lever_jobs.JOBS, safety_net, *attempt_jobs.JOBS),
                          work=(*lever_jobs.WORK, WorkSource("mail", lambda wid: deliver_queued()))))


def register_integrations(app: Flask) -> None:
    """Let features listen to each other: the Lever integration to the platform's domain events, the
    mail queue to the account emails it renders when sending, the Lever settings form to what a new tag
    prefix would unlink."""
    from flask import current_app

    from dashboard.accounts.services import DEFAULT_SET_PASSWORD_MAX_AGE, build_set_password_email
    from dashboard.lever.connection.services import register_prefix_impact
    from dashboard.lever.sync.subscribers import connect_signals
    from dashboard.lever.views.linked_jobs import prefix_change_impact
    from dashboard.mail.delivery import register_builder

    connect_signals()
    register_prefix_impact(prefix_change_impact)
    register_builder("set_password", lambda message: build_set_password_email(
        message, current_app.config["PUBLIC_BASE_URL"],
        int(current_app.config.get("SET_PASSWORD_MAX_AGE", DEFAULT_SET_PASSWORD_MAX_AGE))))
