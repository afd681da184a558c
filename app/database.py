"""The Piccolo engine for the configured database, and transaction helpers.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing
half-way with "database is locked". PostgreSQL uses a connection pool that the web
process and the worker open at start-up.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from app.settings import DatabaseSettings

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
POOL_MAX_SIZE = 10


class TreffpunktSQLiteEngine(SQLiteEngine):
    """SQLite with the pragmas a small multi-process server needs on every connection."""

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def build_engine(database: DatabaseSettings) -> Engine[Any]:
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return TreffpunktSQLiteEngine(path=str(database.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": database.url})


def engine() -> Engine[Any]:
    """The engine every table is bound to (from :mod:`app.piccolo_conf`)."""
    from app.piccolo_conf import DB

    return DB


def enable_wal(database: DatabaseSettings) -> None:
    """Switch a SQLite file to write-ahead logging (a persistent property of the file)."""
    if database.sqlite_path is None:
        return
    with sqlite3.connect(database.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode = WAL")


def write_transaction() -> Any:
    """A transaction for work that writes: ``BEGIN IMMEDIATE`` on SQLite.

    Use as ``async with write_transaction():``. Nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def in_transaction() -> bool:
    db = engine()
    return db.current_transaction.get() is not None


_pool_users = 0


async def open_pool() -> None:
    """Open the PostgreSQL pool (a no-op on SQLite). Calls nest: each needs a :func:`close_pool`."""
    global _pool_users
    _pool_users += 1
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=POOL_MAX_SIZE)


async def close_pool() -> None:
    """Close the pool when its last user is done with it."""
    global _pool_users
    _pool_users = max(0, _pool_users - 1)
    db = engine()
    if _pool_users == 0 and isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


async def ping() -> None:
    """Raise if the database cannot answer a trivial query."""
    await engine().run_ddl("SELECT 1")


__all__ = [
    "SQLiteTransaction",
    "build_engine",
    "close_pool",
    "enable_wal",
    "engine",
    "in_transaction",
    "open_pool",
    "ping",
    "write_transaction",
]
