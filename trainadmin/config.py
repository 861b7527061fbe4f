"""Configuration: defaults, then the environment, then explicit overrides, validated at start."""

from __future__ import annotations

import os
import secrets
import urllib.parse
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The app refuses to start; the message is one line an operator can act on."""


ENV_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "TRAINADMIN_STORAGE",
    "TRAINADMIN_MAX_UPLOAD_MB",
    "TRAINADMIN_MAIL_MAX_ATTEMPTS",
    "TRAINADMIN_MAIL_CONNECTIONS",
    "TRAINADMIN_MAIL_LOG",
    "TRAINADMIN_TZ",
    "TRAINADMIN_HOLIDAYS",
    "BABEL_DEFAULT_LOCALE",
    "TRAINADMIN_API_KEYS",
    "TRAINADMIN_MISSED_GRACE_HOURS",
    "TRAINADMIN_EMAIL_RENDER_MS",
    "TRAINADMIN_EMAIL_RENDER_KB",
    "TRAINADMIN_LOG_FORMAT",
    "TRAINADMIN_LOGIN_LIMIT_ACCOUNT",
    "TRAINADMIN_LOGIN_LIMIT_ADDRESS",
    "TRAINADMIN_LINK_LIMIT",
    "TRAINADMIN_LINK_FAILURE_LIMIT",
    "TRAINADMIN_PUBLIC_URL",
    "TRAINADMIN_IDLE_MINUTES",
    "TRAINADMIN_HTTPS",
    "TRAINADMIN_TRUSTED_PROXIES",
    "TRAINADMIN_IMPORT_DIR",
)

BOOL_KEYS = {"MAIL_USE_TLS", "MAIL_USE_SSL", "TRAINADMIN_HTTPS"}
INT_KEYS = {
    "MAIL_PORT",
    "TRAINADMIN_MAX_UPLOAD_MB",
    "TRAINADMIN_MISSED_GRACE_HOURS",
    "TRAINADMIN_EMAIL_RENDER_MS",
    "TRAINADMIN_EMAIL_RENDER_KB",
    "TRAINADMIN_MAIL_MAX_ATTEMPTS",
    "TRAINADMIN_MAIL_CONNECTIONS",
    "TRAINADMIN_IDLE_MINUTES",
    "TRAINADMIN_TRUSTED_PROXIES",
}
MAX_UPLOAD_MB = 1024
MAX_GRACE_HOURS = 24 * 30
MAX_PROXIES = 5
MAX_SMTP = 8  # SMTP connections per send job: relays limit a client's connections
#: The budget of one e-mail rendering: (key, lowest, highest).
RENDER_LIMITS = (("TRAINADMIN_EMAIL_RENDER_MS", 10, 10_000), ("TRAINADMIN_EMAIL_RENDER_KB", 16, 10_240))
MIB = 1024 * 1024
LOCALES = ("fr", "en")


def holiday_setting(value: str | None) -> tuple[str, str | None] | None:
    """TRAINADMIN_HOLIDAYS read: (country, region or None), None when empty. ValueError when the
    `holidays` library knows no such country or region."""
    import holidays

    value = (value or "").strip()
    if not value:
        return None
    country, _, region = value.partition("-")
    regions = holidays.list_supported_countries().get(country.upper())
    if regions is None:
        raise ValueError(f"unknown country {country!r}")
    if region and region not in regions:
        raise ValueError(f"unknown region {region!r} of {country.upper()} (known: {', '.join(regions)})")
    return country.upper(), region or None


def _parse_bool(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def _parse_int(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {value!r}") from None


def default_config(instance_path: Path) -> dict:
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'trainadmin.db'}",
        "REDIS_URL": "",
        "SECRET_KEY": "",
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "formation@trainadmin.local",
        "TRAINADMIN_STORAGE": str(instance_path / "files"),
        "TRAINADMIN_MAX_UPLOAD_MB": 10,
        "TRAINADMIN_MAIL_MAX_ATTEMPTS": 5,
        "TRAINADMIN_MAIL_CONNECTIONS": 2,
        #: The SMTP server's log, readable here (Postfix's mail.log…): a message whose send was in
        #: doubt after a crash is looked up there by Message-ID before it is sent again.
        "TRAINADMIN_MAIL_LOG": "",
        "TRAINADMIN_TZ": "Europe/Paris",
        #: Public holidays taken out of the rooms' and trainers' available days (« Planning »): a
        #: country (FR), or a country and region as the `holidays` library names them (FR-57 for
        #: Moselle); empty for none.
        "TRAINADMIN_HOLIDAYS": "FR",
        "BABEL_DEFAULT_LOCALE": "fr",
        "TRAINADMIN_API_KEYS": "",
        "TRAINADMIN_MISSED_GRACE_HOURS": 12,
        "TRAINADMIN_EMAIL_RENDER_MS": 300,
        "TRAINADMIN_EMAIL_RENDER_KB": 256,
        "TRAINADMIN_LOG_FORMAT": "json",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "FLASK_ADMIN_SWATCH": "cerulean",  # a theme that loads no font from outside (privacy, offline)
        "ADMIN_PAGE_SIZE": 20,
        "EXPORT_MAX_ROWS": 10000,
        "TRAINADMIN_LIST_COUNT_LIMIT": 10000,  # the session list counts up to here, then « plus de »
        "JOB_TIMEOUT": 600,
        "PASSWORD_HASH_METHOD": "scrypt",
        "TRAINADMIN_LOGIN_LIMIT_ACCOUNT": "5/minute;30/hour",
        "TRAINADMIN_LOGIN_LIMIT_ADDRESS": "60/hour",
        "TRAINADMIN_LINK_LIMIT": "60/minute;600/hour",
        "TRAINADMIN_LINK_FAILURE_LIMIT": "20/hour",
        "TRAINADMIN_PUBLIC_URL": "http://127.0.0.1:5000",
        "TRAINADMIN_IDLE_MINUTES": 60,
        "TRAINADMIN_HTTPS": False,
        "TRAINADMIN_TRUSTED_PROXIES": 0,
        "TRAINADMIN_IMPORT_DIR": str(instance_path / "imports"),
    }


def from_environment(environ: os._Environ | dict) -> dict:
    values: dict = {}
    for key in ENV_KEYS:
        if key not in environ:
            continue
        raw = environ[key]
        if key in BOOL_KEYS:
            values[key] = _parse_bool(key, raw)
        elif key in INT_KEYS:
            values[key] = _parse_int(key, raw)
        else:
            values[key] = raw
    return values


def _embedded_secret(path: Path) -> str:
    """The embedded (SQLite) mode keeps a generated key next to its database."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def validate(config: dict, embedded_key_path: Path | None = None) -> None:
    """Refuse to start on a configuration that cannot work."""
    url = config.get("DATABASE_URL") or ""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must be sqlite or postgresql, got {backend!r}")
    if backend == "postgresql" and parsed.drivername in {"postgresql", "postgres"}:
        config["DATABASE_URL"] = parsed.set(drivername="postgresql+psycopg").render_as_string(
            hide_password=False
        )

    redis_url = config.get("REDIS_URL") or ""
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {redis_url!r}")

    try:
        ZoneInfo(config.get("TRAINADMIN_TZ") or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TRAINADMIN_TZ is not a known time zone: {config.get('TRAINADMIN_TZ')!r}"
        ) from None

    try:
        holiday_setting(config.get("TRAINADMIN_HOLIDAYS"))
    except ValueError as exc:
        raise ConfigError(f"TRAINADMIN_HOLIDAYS: {exc}") from None

    if config.get("BABEL_DEFAULT_LOCALE") not in LOCALES:
        raise ConfigError(f"BABEL_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")

    log_format = str(config.get("TRAINADMIN_LOG_FORMAT") or "").strip().lower()
    if log_format not in ("json", "text"):
        raise ConfigError(
            f"TRAINADMIN_LOG_FORMAT must be json or text, got {config.get('TRAINADMIN_LOG_FORMAT')!r}"
        )
    config["TRAINADMIN_LOG_FORMAT"] = log_format

    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be on")

    if not config.get("SECRET_KEY"):
        if config.get("TESTING"):
            config["SECRET_KEY"] = secrets.token_hex(32)
        elif backend == "sqlite" and embedded_key_path:
            config["SECRET_KEY"] = _embedded_secret(embedded_key_path)
        else:
            raise ConfigError("SECRET_KEY is not set: export SECRET_KEY=<a long random string>")

    max_upload = config.get("TRAINADMIN_MAX_UPLOAD_MB")
    if (
        isinstance(max_upload, bool)
        or not isinstance(max_upload, int)
        or not 1 <= max_upload <= MAX_UPLOAD_MB
    ):
        raise ConfigError(
            f"TRAINADMIN_MAX_UPLOAD_MB must be a whole number from 1 to {MAX_UPLOAD_MB}, got {max_upload!r}"
        )
    # A request also carries the other form fields and the multipart envelope: one more megabyte.
    config["MAX_CONTENT_LENGTH"] = (max_upload + 1) * MIB

    grace = config.get("TRAINADMIN_MISSED_GRACE_HOURS")
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_HOURS:
        raise ConfigError(
            f"TRAINADMIN_MISSED_GRACE_HOURS must be a whole number from 0 to {MAX_GRACE_HOURS}, got {grace!r}"
        )
    for key, lowest, highest in RENDER_LIMITS:
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise ConfigError(f"{key} must be a whole number from {lowest} to {highest}, got {value!r}")
    for key, highest in (("TRAINADMIN_MAIL_MAX_ATTEMPTS", 100), ("TRAINADMIN_MAIL_CONNECTIONS", MAX_SMTP)):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
            raise ConfigError(f"{key} must be a whole number from 1 to {highest}, got {value!r}")

    public = str(config.get("TRAINADMIN_PUBLIC_URL") or "").rstrip("/")
    parsed_public = urllib.parse.urlsplit(public)
    if parsed_public.scheme not in ("http", "https") or not parsed_public.netloc or parsed_public.query:
        raise ConfigError(
            "TRAINADMIN_PUBLIC_URL must be the address people open TrainAdmin at, like "
            f"https://formation.example.com, got {config.get('TRAINADMIN_PUBLIC_URL')!r}"
        )
    config["TRAINADMIN_PUBLIC_URL"] = public

    for key in (
        "TRAINADMIN_LOGIN_LIMIT_ACCOUNT",
        "TRAINADMIN_LOGIN_LIMIT_ADDRESS",
        "TRAINADMIN_LINK_LIMIT",
        "TRAINADMIN_LINK_FAILURE_LIMIT",
    ):
        try:
            if not parse_many(str(config.get(key) or "")):
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"{key} must be limits like 5/minute;30/hour, got {config.get(key)!r}"
            ) from None
    idle = config.get("TRAINADMIN_IDLE_MINUTES")
    if isinstance(idle, bool) or not isinstance(idle, int) or not 1 <= idle <= 7 * 24 * 60:
        raise ConfigError(f"TRAINADMIN_IDLE_MINUTES must be a whole number from 1 to 10080, got {idle!r}")

    proxies = config.get("TRAINADMIN_TRUSTED_PROXIES")
    if isinstance(proxies, bool) or not isinstance(proxies, int) or not 0 <= proxies <= MAX_PROXIES:
        raise ConfigError(
            f"TRAINADMIN_TRUSTED_PROXIES must be a whole number from 0 to {MAX_PROXIES}, got {proxies!r}"
        )
    import_dir = str(config.get("TRAINADMIN_IMPORT_DIR") or "").strip()
    if not import_dir.startswith("/"):
        raise ConfigError(f"TRAINADMIN_IMPORT_DIR must be an absolute path, got {import_dir!r}")
    config["TRAINADMIN_IMPORT_DIR"] = import_dir

    keys = config.get("TRAINADMIN_API_KEYS") or ""
    if isinstance(keys, str):
        keys = [key.strip() for key in keys.split(",") if key.strip()]
    if any(len(key) < 16 for key in keys):
        raise ConfigError("TRAINADMIN_API_KEYS must hold keys of at least 16 characters, separated by commas")
    config["TRAINADMIN_API_KEYS"] = list(keys)

    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["BABEL_DEFAULT_TIMEZONE"] = config["TRAINADMIN_TZ"]


def load(instance_path: Path, overrides: dict | None = None, environ=None) -> dict:
    config = default_config(instance_path)
    config.update(from_environment(os.environ if environ is None else environ))
    config.update(overrides or {})
    validate(config, embedded_key_path=instance_path / "secret_key")
    return config
