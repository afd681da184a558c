from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


def test_defaults_use_sqlite_embedded_redis_and_berlin(tmp_cwd: Path) -> None:
    settings = load_settings({})
    assert settings.database.kind == "sqlite"
    assert settings.database.sqlite_path == tmp_cwd / "treffpunkt.sqlite3"
    assert settings.embedded_redis
    assert settings.timezone == "Europe/Berlin"
    assert settings.default_language == "de"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.signup_rate_limit.count == 30 and settings.signup_rate_limit.period_seconds == 60


def test_secret_key_is_generated_once_and_kept_beside_the_database(tmp_path: Path) -> None:
    env = {"TREFFPUNKT_DATABASE_URL": f"sqlite:///{tmp_path}/data/db.sqlite3"}
    first = load_settings(env).secret_key
    assert (tmp_path / "data" / "treffpunkt.secret").read_text().strip() == first
    assert load_settings(env).secret_key == first
    assert len(first) >= 32


def test_postgres_url_is_accepted() -> None:
    settings = load_settings(
        {"TREFFPUNKT_DATABASE_URL": "postgresql://u:p@db:5432/tp", "TREFFPUNKT_SECRET_KEY": "k" * 32}
    )
    assert settings.database.kind == "postgres"
    assert not settings.database.is_sqlite


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("DATABASE_URL", "mysql://localhost/db", "is not a database URL"),
        ("DATABASE_URL", "postgresql://u:secret@host:notaport/db", "port"),
        ("DATABASE_URL", "postgresql://u:p@host:5432/", "no database name"),
        ("DATABASE_URL", "sqlite:///", "file path"),
        ("REDIS_URL", "localhost:6379", "not a valid URL"),
        ("BASE_URL", "treffpunkt.example.org", "not a valid URL"),
        ("SMTP_URL", "mail.example.org", "not a valid URL"),
        ("TIMEZONE", "Mars/Olympus", "time zone"),
        ("DEFAULT_LANGUAGE", "klingon-xx", "language"),
        ("SIGNUP_RATE_LIMIT", "fast", "rate"),
        ("SECRET_KEY", "short", "too short"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str, hint: str, tmp_cwd: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"TREFFPUNKT_" + variable: value})
    assert f"TREFFPUNKT_{variable}" in str(error.value)
    assert hint in str(error.value)


def test_password_in_a_bad_database_url_is_not_repeated() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"TREFFPUNKT_DATABASE_URL": "postgresql://u:hunter2secret@host:x/db"})
    assert "hunter2secret" not in str(error.value)


def test_rate_limit_zero_turns_it_off(tmp_cwd: Path) -> None:
    assert not load_settings({"TREFFPUNKT_SIGNUP_RATE_LIMIT": "0"}).signup_rate_limit.enabled
    assert load_settings({"TREFFPUNKT_SIGNUP_RATE_LIMIT": "100/hour"}).signup_rate_limit.period_seconds == 3600


def test_retention_months_are_checked(tmp_cwd: Path) -> None:
    assert load_settings({"TREFFPUNKT_RETENTION_MONTHS": "36"}).retention_months == 36
    with pytest.raises(SettingsError) as error:
        load_settings({"TREFFPUNKT_RETENTION_MONTHS": "forever"})
    assert "TREFFPUNKT_RETENTION_MONTHS" in str(error.value)
