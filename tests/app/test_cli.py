"""The command line, run as a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_account


def treffpunkt(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_unknown_command_is_exit_2() -> None:
    assert_one_line_error(treffpunkt("launch"), 2, "invalid choice")


def test_missing_required_option_is_exit_2() -> None:
    assert_one_line_error(treffpunkt("create-user", "--role", "admin"), 2, "--email")


def test_bad_role_is_exit_2() -> None:
    assert_one_line_error(treffpunkt("create-user", "--email", "a@example.org", "--role", "boss"), 2, "--role")


def test_bad_port_is_exit_2() -> None:
    assert_one_line_error(treffpunkt("serve", "--port", "99999"), 2, "65535")
    assert_one_line_error(treffpunkt("web", "--workers", "0"), 2, "1 or more")


def test_malformed_database_url_names_the_variable() -> None:
    result = treffpunkt("migrate", env={"TREFFPUNKT_DATABASE_URL": "postgres//nohost"})
    assert_one_line_error(result, 2, "TREFFPUNKT_DATABASE_URL")


def test_unreachable_database_is_exit_1_without_traceback(tmp_path: Path) -> None:
    result = treffpunkt(
        "migrate",
        env={"TREFFPUNKT_DATABASE_URL": "postgresql://nobody:secretpw@127.0.0.1:1/none"},
        cwd=tmp_path,
    )
    assert_one_line_error(result, 1, "database")
    assert "secretpw" not in result.stderr


def test_migrate_applies_and_is_idempotent(tmp_path: Path) -> None:
    env = {"TREFFPUNKT_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3"}
    assert treffpunkt("migrate", env=env).returncode == 0
    again = treffpunkt("migrate", env=env)
    assert again.returncode == 0, again.stderr


def test_create_user_then_token_gives_a_working_coordinator_token(db: None) -> None:
    created = treffpunkt(
        "create-user",
        "--email",
        "Cora@Example.org",
        "--role",
        "coordinator",
        "--name",
        "Cora",
        stdin="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().isdigit()
    token = treffpunkt("create-token", "--email", "cora@example.org", "--name", "cli")
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().startswith("tp_")


def test_create_user_twice_is_exit_1(db: None) -> None:
    args = ("create-user", "--email", "twice@example.org", "--role", "admin")
    assert treffpunkt(*args, stdin="a long password\n").returncode == 0
    assert_one_line_error(treffpunkt(*args, stdin="a long password\n"), 1, "already")


def test_create_user_without_password_is_exit_2(db: None) -> None:
    assert_one_line_error(treffpunkt("create-user", "--email", "x@example.org", "--role", "admin"), 2, "password")


def test_short_password_is_exit_2(db: None) -> None:
    result = treffpunkt("create-user", "--email", "x@example.org", "--role", "admin", stdin="short\n")
    assert_one_line_error(result, 2, "at least")


def test_host_needs_an_employer(db: None) -> None:
    result = treffpunkt("create-user", "--email", "h@example.org", "--role", "host", stdin="a long password\n")
    assert_one_line_error(result, 2, "--employer")


def test_create_token_for_unknown_user_is_exit_1(db: None) -> None:
    assert_one_line_error(treffpunkt("create-token", "--email", "ghost@example.org"), 1, "no account")


@pytest.mark.parametrize("role", ["admin", "facilitator"])
async def test_tokens_from_cli_and_services_agree(db: None, role: str) -> None:
    account = await make_account(role)
    result = treffpunkt("create-token", "--email", account.email)
    assert result.returncode == 0
    assert result.stdout.strip() != account.token
