"""The ``treffpunkt`` command line.

Exit status 0 on success, 2 for bad arguments or settings, 1 for other failures,
always with a one-line reason on standard error and never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import app  # noqa: F401  (points Piccolo at app.piccolo_conf)
from app.settings import SettingsError, get_settings

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see: {self.prog} --help)", EXIT_USAGE)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 1 and 65535")
    return port


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} must be 1 or more")
    return number


def _language(value: str) -> str:
    from app.auth.errors import InvalidUserData
    from app.auth.services import validate_language

    try:
        language = validate_language(value)
    except InvalidUserData as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if language is None:
        raise argparse.ArgumentTypeError("give a language code such as de or ar")
    return language


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="treffpunkt", description="Treffpunkt: events and scheduling for integration projects.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    serve = commands.add_parser("serve", help="run everything on one machine: migrations, web, worker, Redis")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed demo data into an empty database")

    web = commands.add_parser("web", help="the web process alone (production)")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=_port, default=8000)
    web.add_argument("--workers", type=_positive, default=1, help="number of web processes")

    commands.add_parser("worker", help="the arq worker alone (production)")
    commands.add_parser("migrate", help="apply database migrations forward")

    user = commands.add_parser("create-user", help="create a staff or host account; password on standard input")
    user.add_argument("--email", required=True)
    user.add_argument("--role", required=True, choices=["admin", "coordinator", "facilitator", "host"])
    user.add_argument("--employer", type=_positive, default=None, help="employer id (hosts only)")
    user.add_argument("--name", default="")
    user.add_argument(
        "--language", type=_language, default=None, help="language of the account's e-mails (default: the project's)"
    )

    token = commands.add_parser("create-token", help="print a new API token for a user, once")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="", help="what the token is for")
    return parser


def _run_db(work: Callable[[], Awaitable[Any]]) -> Any:
    """Run async work with the database pool open."""
    from app import database

    async def runner() -> Any:
        await database.open_pool()
        try:
            return await work()
        finally:
            await database.close_pool()

    return asyncio.run(runner())


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise CliError("give the password as one line on standard input", EXIT_USAGE)
    return password


def cmd_migrate(_: argparse.Namespace) -> None:
    from app.migrations import migrate

    _run_db(migrate)
    print("database is up to date")


def cmd_create_user(args: argparse.Namespace) -> None:
    from app.auth.services import create_user

    password = _read_password()

    async def work() -> int:
        from app.migrations import migrate

        await migrate()
        return await create_user(
            args.email, args.role, password, name=args.name, employer_id=args.employer, language=args.language
        )

    print(_run_db(work))


def cmd_create_token(args: argparse.Namespace) -> None:
    from app.auth.services import get_user_by_email, issue_api_token

    async def work() -> str:
        user = await get_user_by_email(args.email)
        return (await issue_api_token(user.id, args.name)).token

    print(_run_db(work))


def cmd_web(args: argparse.Namespace) -> None:
    from app.web_server import run_web

    get_settings()
    run_web(args.host, args.port, args.workers)


def cmd_worker(_: argparse.Namespace) -> None:
    from app.logging import configure_logging
    from app.redis_client import redis_url
    from app.worker_process import main

    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        redis_url()
    except RuntimeError as exc:
        raise CliError(
            "set TREFFPUNKT_REDIS_URL for a worker of its own (serve starts an embedded Redis)", EXIT_USAGE
        ) from exc
    main()


def cmd_serve(args: argparse.Namespace) -> None:
    from app.logging import configure_logging
    from app.migrations import migrate
    from app.supervisor import check_port_free, serve

    if not os.environ.get("TREFFPUNKT_BASE_URL"):
        # Links in messages and QR codes point at where this one machine actually listens.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        os.environ["TREFFPUNKT_BASE_URL"] = f"http://{host}:{args.port}"
        get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings.log_level)
    check_port_free(args.host, args.port)

    async def prepare() -> list[str]:
        await migrate()
        if args.demo:
            from app.demo import seed_demo

            return await seed_demo()
        return []

    for line in _run_db(prepare):
        print(line, flush=True)
    serve(settings, args.host, args.port)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "serve": cmd_serve,
    "web": cmd_web,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "create-user": cmd_create_user,
    "create-token": cmd_create_token,
}


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:500]


def main(argv: Sequence[str] | None = None) -> int:
    from app.auth.errors import InvalidUserData, UnknownUser, UserExists

    # Piccolo warns on stderr when it cannot connect; we say it once, in our own words.
    warnings.filterwarnings("ignore", module=r"piccolo\..*")
    try:
        args = build_parser().parse_args(argv)
        get_settings()
        COMMANDS[args.command](args)
        return 0
    except CliError as exc:
        message, code = str(exc), exc.exit_code
    except SettingsError as exc:
        message, code = str(exc), EXIT_USAGE
    except InvalidUserData as exc:
        message, code = str(exc), EXIT_USAGE
    except (UserExists, UnknownUser) as exc:
        message, code = str(exc), EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        message, code = _describe_failure(exc), EXIT_FAILURE
    print(f"treffpunkt: error: {message}", file=sys.stderr)
    return code


def _describe_failure(exc: Exception) -> str:
    from app.migrations import MigrationFailed
    from app.supervisor import ServeError

    if isinstance(exc, ServeError | MigrationFailed):
        return _one_line(exc)
    if isinstance(exc, OSError | ConnectionError) or type(exc).__module__.startswith(("asyncpg", "sqlite3")):
        return f"cannot use the database ({type(exc).__name__}: {_one_line(exc)})"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
