"""Build real rows through the services, for tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from piccolo.engine.sqlite import SQLiteEngine

from app.auth.services import create_user, issue_api_token
from app.database import engine

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(
    role: str = "coordinator", *, employer_id: int | None = None, email: str | None = None
) -> Account:
    email = email or f"{role}{next(_counter)}@example.org"
    if role == "host" and employer_id is None:
        employer_id = 1
    user_id = await create_user(email, role, PASSWORD, name=role.title(), employer_id=employer_id)
    issued = await issue_api_token(user_id, "tests")
    return Account(id=user_id, email=email, token=issued.token)


async def reset_database() -> None:
    """Empty every table of every domain (the migration history stays) and this worker's Redis."""
    from app.redis_client import get_redis

    await get_redis().flushdb()
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    tables = sort_table_classes([t for t in Finder().get_table_classes() if t._meta.tablename != "migration"])
    tables.reverse()  # children before parents
    db = engine()
    names = [t._meta.tablename for t in tables]
    if not names:
        return
    if isinstance(db, SQLiteEngine):
        async with db.transaction():
            for name in names:
                await db.run_ddl(f'DELETE FROM "{name}"')
            if await db.run_ddl("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"):
                await db.run_ddl("DELETE FROM sqlite_sequence")
    else:
        quoted = ", ".join(f'"{name}"' for name in names)
        await db.run_ddl(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
