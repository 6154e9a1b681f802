"""Settings read from the environment (python-dotenv loads `.env` when present).

`load_config()` builds the settings for the running process; `TestConfig` is what
the test suite starts from. Nothing here runs at import time beyond class definitions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET_MARKER = "dev-"  # generated embedded secrets start with this; production refuses them


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_number(name: str, default, kind: type = int):
    """The environment variable `name` as a number of type `kind`, else `default`; a clear error at start."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise RuntimeError(f"{name} must be {what}, got {raw!r}") from exc


def instance_secret(name: str, factory=lambda: DEV_SECRET_MARKER + secrets.token_urlsafe(48)) -> str:
    """Return a secret kept in `instance/<name>`, generating it on first use.

    Only the embedded default uses these; production passes secrets in the environment.
    """
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / name
    if not path.exists():
        path.write_text(factory())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:

    return Fernet.generate_key().decode()


class BaseConfig:
    """Defaults shared by every environment."""

    ENV_NAME = "development"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 1024 * 1024
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"  # failed logins per (client address, email)
    LOGIN_ACCOUNT_RATE_LIMIT = "30 per 15 minutes"  # failed logins per account, from any address
    FORWARDED_ALLOW_IPS = "127.0.0.1"  # proxies whose X-Forwarded-For / -Proto are trusted
    TAG_BRAND = "Alooba"
    RESULT_REUSE_DAYS = 180
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "assessments@localhost"
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    LEVER_ENV = "local"
    LEVER_CLIENT_ID = "dashboard-local"
    LEVER_CLIENT_SECRET = "dashboard-local-secret"
    SANDBOX_PORT = 5001
    RUN_BACKGROUND = False  # worker + scheduler threads inside the web process (make run only)
    LEVER_PACE_RATE = 10.0  # client-side requests/s per Lever account: Lever's limit; adapts after a 429
    LEVER_PACE_RECOVERY_SECONDS = 10.0  # after a 429, from the halved rate back to the full one
    LEVER_PACE_BURST = 20
    LEVER_PACER = "auto"  # auto: shared through PostgreSQL when the database is PostgreSQL; memory; postgres
    LEVER_READ_TIMEOUT = 20.0
    LEVER_MAX_SLEEP = 8.0
    LEVER_OUTCOME_SETTLE_SECONDS = 60.0
    LEVER_POSTING_TTL = 300
    EFFECT_CLAIM_TIMEOUT = 120
    RECONCILE_OVERLAP_SECONDS = 300
    REMINDER_HOURS = 24
    MAX_DEADLINE_DAYS = 30  # longest validity of an invitation, extensions included (from when it opened)
    MAX_EXTRA_MINUTES = 180  # most extra time an attempt can be given, all grants together
    RECONCILE_DRIFT_BUDGET = 20  # live opportunities re-read from Lever per reconciliation run
    WEBHOOK_KEY_CACHE_SECONDS = 10
    WEBHOOK_MAX_AGE_HOURS = 72  # older deliveries are refused; processed inbox rows older are purged
    LOG_FORMAT = ""  # json | text | "" (json in production; otherwise Flask's default logging)
    LOG_LEVEL = "INFO"
    METRICS_TOKEN = None


def load_config() -> dict:
    """Build the settings for this process from the environment."""
    env_name = _env("APP_ENV", "development")
    cfg = {k: v for k, v in vars(BaseConfig).items() if k.isupper()}
    cfg["ENV_NAME"] = env_name
    database_url = _env("DATABASE_URL")
    if database_url and database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url and database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url or f"sqlite:///{INSTANCE / 'dashboard.db'}"
    production = env_name == "production"
    cfg["SECRET_KEY"] = _env("SECRET_KEY") or (None if production else instance_secret("secret_key"))
    cfg["TOKEN_ENCRYPTION_KEYS"] = _env("TOKEN_ENCRYPTION_KEYS") or (
        None if production else instance_secret("token_key", _fernet_key)
    )
    for name in (
        "PUBLIC_BASE_URL", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER",
        "RATELIMIT_STORAGE_URI", "LEVER_ENV", "LEVER_CLIENT_ID", "LEVER_CLIENT_SECRET",
        "LEVER_API_URL", "LEVER_AUTHORIZE_URL", "LEVER_TOKEN_URL", "LEVER_AUDIENCE",
        "LEVER_HIRE_URL", "TAG_BRAND", "LEVER_PACER", "LOG_FORMAT", "LOG_LEVEL", "METRICS_TOKEN",
        "FORWARDED_ALLOW_IPS", "LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT",
    ):
        if _env(name) is not None:
            cfg[name] = _env(name)
    cfg["MAIL_PORT"] = _env_number("MAIL_PORT", BaseConfig.MAIL_PORT)
    cfg["MAIL_USE_TLS"] = _env("MAIL_USE_TLS", "0") in ("1", "true", "yes")
    cfg["SANDBOX_PORT"] = _env_number("SANDBOX_PORT", BaseConfig.SANDBOX_PORT)
    cfg["RESULT_REUSE_DAYS"] = _env_number("RESULT_REUSE_DAYS", BaseConfig.RESULT_REUSE_DAYS)
    for name in ("LEVER_PACE_RATE", "LEVER_PACE_RECOVERY_SECONDS", "LEVER_READ_TIMEOUT", "LEVER_MAX_SLEEP",
                 "LEVER_OUTCOME_SETTLE_SECONDS"):
        cfg[name] = _env_number(name, getattr(BaseConfig, name), float)
    for name in ("LEVER_PACE_BURST", "LEVER_POSTING_TTL", "EFFECT_CLAIM_TIMEOUT", "RECONCILE_OVERLAP_SECONDS",
                 "REMINDER_HOURS", "WEBHOOK_KEY_CACHE_SECONDS",
                 "WEBHOOK_MAX_AGE_HOURS", "MAX_DEADLINE_DAYS", "MAX_EXTRA_MINUTES", "RECONCILE_DRIFT_BUDGET"):
        cfg[name] = _env_number(name, getattr(BaseConfig, name))
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = env_name != "development"
    return cfg


def check_production(cfg: dict) -> None:
    """Refuse to run in production with development secrets, without a public URL, or with login
    rate limits kept per process."""
    if cfg.get("ENV_NAME") != "production":
        return
    problems = []
    if not cfg.get("SECRET_KEY") or str(cfg["SECRET_KEY"]).startswith(DEV_SECRET_MARKER):
        problems.append("SECRET_KEY must be set (not the generated development key)")
    if not cfg.get("TOKEN_ENCRYPTION_KEYS"):
        problems.append("TOKEN_ENCRYPTION_KEYS must be set")
    if not _env("PUBLIC_BASE_URL"):
        problems.append("PUBLIC_BASE_URL must be set")
    if not cfg.get("METRICS_TOKEN"):
        problems.append("METRICS_TOKEN must be set: /metrics answers only requests bearing it")
    if str(cfg.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        problems.append("RATELIMIT_STORAGE_URI must name shared storage (e.g. redis://host:6379/0) so that "
                        "login attempts are limited across web workers")
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


class TestConfig:
    """Settings the test suite starts from; fixtures fill in the database URI."""

    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret-key"
    TOKEN_ENCRYPTION_KEYS = "3q2Cv2U0xHgZyDq1eC7Qf1Vn8m4kq4iZcQkq4D2vS1Y="
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    SKIP_MIGRATION_CHECK = True
    WEBHOOK_KEY_CACHE_SECONDS = 0  # tests change connections behind the receiver's back
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # still scrypt, at a cost that keeps the suite quick
