"""Settings read once from the ``TREFFPUNKT_*`` environment variables.

:func:`load_settings` is a pure function of a mapping, so it is easy to test;
:func:`get_settings` reads ``os.environ`` once per process and caches the result.
Every bad value raises :class:`SettingsError` naming the variable and what to fix.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

PREFIX = "TREFFPUNKT_"
DEFAULT_DATABASE_URL = "sqlite:///./treffpunkt.sqlite3"
SECRET_FILE_NAME = "treffpunkt.secret"
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    kind: str  # "sqlite" or "postgres"
    sqlite_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``count`` requests per ``period_seconds``; ``count == 0`` means no limit."""

    count: int
    period_seconds: int

    @property
    def enabled(self) -> bool:
        return self.count > 0


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    redis_url: str | None
    secret_key: str
    base_url: str
    timezone: str
    smtp_url: str | None
    sms_url: str | None
    default_language: str
    signup_rate_limit: RateLimit
    login_rate_limit: RateLimit
    log_level: str = "INFO"
    retention_months: int = 24
    funder_profile_file: Path | None = None  # None: the shipped ESF Plus field list
    data_keys: tuple[str, ...] = ()  # Fernet keys for encrypted columns; empty: derived from secret_key

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def data_dir(self) -> Path:
        """Where generated files (the secret key, the embedded Redis) live."""
        if self.database.sqlite_path is not None:
            return self.database.sqlite_path.parent
        return Path.cwd()


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(PREFIX + name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def parse_database_url(value: str) -> DatabaseSettings:
    var = PREFIX + "DATABASE_URL"
    if value.startswith("sqlite:///"):
        path = value[len("sqlite:///") :]
        if not path:
            raise SettingsError(f"{var}: give a file path after sqlite:///, e.g. {DEFAULT_DATABASE_URL}")
        return DatabaseSettings(url=value, kind="sqlite", sqlite_path=Path(path).expanduser().resolve())
    parts = urlsplit(value)
    if parts.scheme in ("postgresql", "postgres"):
        try:
            port = parts.port
        except ValueError as exc:
            raise SettingsError(f"{var}: the port in {_redact(value)!r} is not a number") from exc
        if not parts.hostname and "host=" not in parts.query:
            raise SettingsError(f"{var}: no host in {_redact(value)!r}; expected postgresql://user:pass@host:port/db")
        if not parts.path.strip("/"):
            raise SettingsError(
                f"{var}: no database name in {_redact(value)!r}; expected postgresql://user:pass@host:port/db"
            )
        del port
        return DatabaseSettings(url=value, kind="postgres")
    raise SettingsError(
        f"{var}: {_redact(value)!r} is not a database URL; expected sqlite:///path/to/file.sqlite3 "
        "or postgresql://user:pass@host:port/db"
    )


def _redact(url: str) -> str:
    """Hide a password inside a URL, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _parse_url(env: Mapping[str, str], name: str, schemes: tuple[str, ...], example: str) -> str | None:
    value = _get(env, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise SettingsError(f"{PREFIX}{name}: {_redact(value)!r} is not a valid URL; expected e.g. {example}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}: the port in {_redact(value)!r} is not a number") from exc
    return value


def parse_rate_limit(value: str, name: str) -> RateLimit:
    if value.strip() == "0":
        return RateLimit(0, 60)
    match = _RATE_RE.match(value)
    if not match:
        raise SettingsError(
            f"{PREFIX}{name}: {value!r} is not a rate; write e.g. 30/minute, 500/hour, or 0 for no limit"
        )
    return RateLimit(int(match.group(1)), _RATE_UNITS[match.group(2)])


def _parse_language(value: str, name: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise SettingsError(f"{PREFIX}{name}: {value!r} is not a known language code; use e.g. de, en, ar") from exc
    return value.lower()


def _parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"{PREFIX}TIMEZONE: {value!r} is not a known time zone; use e.g. Europe/Berlin") from exc
    return value


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    """The configured key, or one generated once and kept in a file in ``data_dir``."""
    value = _get(env, "SECRET_KEY")
    if value is not None:
        if len(value) < 16:
            raise SettingsError(f"{PREFIX}SECRET_KEY: too short; use at least 32 random characters")
        return value
    path = data_dir / SECRET_FILE_NAME
    try:
        if path.exists():
            stored = path.read_text().strip()
            if stored:
                return stored
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key
    except FileExistsError:  # another process created it a moment ago
        return path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"{PREFIX}SECRET_KEY is unset and {path} cannot be written ({exc.strerror}); set the variable"
        ) from exc


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build :class:`Settings` from an environment mapping, or raise :class:`SettingsError`."""
    database = parse_database_url(_get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL)
    redis_url = _parse_url(env, "REDIS_URL", ("redis", "rediss", "unix"), "redis://127.0.0.1:6379/0")
    base_url = (
        _parse_url(env, "BASE_URL", ("http", "https"), "https://treffpunkt.example.org") or "http://127.0.0.1:8000"
    )
    smtp_url = _parse_url(env, "SMTP_URL", ("smtp", "smtps"), "smtp://user:pass@mail.example.org:587")
    sms_url = _parse_url(env, "SMS_URL", ("http", "https"), "https://sms.example.org/send")
    log_level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"{PREFIX}LOG_LEVEL: {log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    data_dir = database.sqlite_path.parent if database.sqlite_path is not None else Path.cwd()
    return Settings(
        database=database,
        redis_url=redis_url,
        secret_key=_secret_key(env, data_dir),
        base_url=base_url.rstrip("/"),
        timezone=_parse_timezone(_get(env, "TIMEZONE") or "Europe/Berlin"),
        smtp_url=smtp_url,
        sms_url=sms_url,
        default_language=_parse_language(_get(env, "DEFAULT_LANGUAGE") or "de", "DEFAULT_LANGUAGE"),
        signup_rate_limit=parse_rate_limit(_get(env, "SIGNUP_RATE_LIMIT") or "30/minute", "SIGNUP_RATE_LIMIT"),
        login_rate_limit=parse_rate_limit(_get(env, "LOGIN_RATE_LIMIT") or "10/hour", "LOGIN_RATE_LIMIT"),
        log_level=log_level,
        retention_months=_parse_months(_get(env, "RETENTION_MONTHS") or "24"),
        funder_profile_file=_parse_funder_profile_file(_get(env, "FUNDER_PROFILE_FILE")),
        data_keys=_parse_data_keys(_get(env, "DATA_KEYS")),
    )


def _parse_funder_profile_file(value: str | None) -> Path | None:
    """A programme's own field list for the funder profile, checked now so a mistake stops the start."""
    if value is None:
        return None
    from app.funder.definition import ProfileDefinitionError, load_definition

    path = Path(value).expanduser().resolve()
    try:
        load_definition(path)
    except ProfileDefinitionError as exc:
        raise SettingsError(f"{PREFIX}FUNDER_PROFILE_FILE: {exc}") from exc
    return path


def _parse_data_keys(value: str | None) -> tuple[str, ...]:
    """Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation)."""
    if value is None:
        return ()
    from cryptography.fernet import Fernet

    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError as exc:
            raise SettingsError(
                f"{PREFIX}DATA_KEYS: key {number} is not a Fernet key (32 url-safe base64-encoded bytes); make "
                "one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from exc
    return keys


def _parse_months(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 240:
        raise SettingsError(f"{PREFIX}RETENTION_MONTHS: {value!r} must be a whole number of months from 1 to 240")
    return int(value)


def database_url_for_display(url: str) -> str:
    return _redact(unquote(url))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from ``os.environ`` on first use."""
    return load_settings(os.environ)
