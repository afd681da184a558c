"""The Piccolo engine for the configured database, and transaction helpers.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing
half-way with "database is locked". PostgreSQL uses a connection pool that the web
process and the worker open at start-up.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

from app.settings import DatabaseSettings

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
POOL_MAX_SIZE = 10


class ClosingSQLiteTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, but the connection is closed even when BEGIN or COMMIT fails.

    Otherwise a "database is locked" at BEGIN leaves an aiosqlite thread behind.
    """

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.connection.close()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            await self.connection.close()
            self.engine.current_transaction.reset(self.context)
        return exception is None


class TreffpunktSQLiteEngine(SQLiteEngine):
    """SQLite whose transactions use ``synchronous = NORMAL`` (safe with WAL, much faster).

    Piccolo opens a fresh connection for each query outside a transaction without this
    hook; those run with SQLite's default (``FULL``), which only makes them slower.
    """

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return ClosingSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


def build_engine(database: DatabaseSettings) -> Engine[Any]:
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return TreffpunktSQLiteEngine(path=str(database.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": database.url})


@lru_cache(maxsize=1)
def engine() -> Engine[Any]:
    """The engine every table is bound to (from :mod:`app.piccolo_conf`; looked up once: hot paths ask often)."""
    from app.piccolo_conf import DB

    return DB


def enable_wal(database: DatabaseSettings) -> None:
    """Switch a SQLite file to write-ahead logging (a persistent property of the file)."""
    if database.sqlite_path is None:
        return
    with sqlite3.connect(database.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode = WAL")


_writer_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _writer_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _writer_locks.get(loop)
    if lock is None:
        lock = _writer_locks[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for work that writes: ``async with write_transaction(): ...``.

    On SQLite it begins with ``BEGIN IMMEDIATE`` and, within one process, writers take
    turns in arrival order (an asyncio lock) before they ask SQLite for its write lock,
    so a crowd of concurrent sign-ups queues fairly instead of racing the busy timeout.
    Nested use joins the outer transaction.
    """
    db = engine()
    if db.current_transaction.get() is not None:
        async with db.transaction() as transaction:
            yield transaction
        return
    if isinstance(db, SQLiteEngine):
        async with _writer_lock(), db.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with db.transaction() as transaction:
            yield transaction


def in_transaction() -> bool:
    db = engine()
    return db.current_transaction.get() is not None


_pool_users = 0


async def _keep_session(connection: Any) -> None:
    """Pool ``reset=``: nothing beyond asyncpg's own rollback of an open transaction.

    asyncpg's default runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``
    on every release, a round trip per query outside a transaction. Treffpunkt leaves no
    session state behind: no advisory locks, cursors outside transactions, LISTEN or
    session-level SET (the lock timeout is ``set_config(..., true)``, transaction-local).
    """


async def open_pool() -> None:
    """Open the PostgreSQL pool (a no-op on SQLite). Calls nest: each needs a :func:`close_pool`."""
    global _pool_users
    _pool_users += 1
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=POOL_MAX_SIZE, reset=_keep_session)


async def close_pool() -> None:
    """Close the pool when its last user is done with it."""
    global _pool_users
    _pool_users = max(0, _pool_users - 1)
    db = engine()
    if _pool_users == 0 and isinstance(db, PostgresEngine) and db.pool is not None:
        await _return_lent()
        await db.close_connection_pool()


# --- plain SQL on the hot paths ------------------------------------------------------------------
#
# Piccolo builds and compiles a QueryString on every call; on a request that is one or two
# statements, that was a third of the handler's time (bench/README.md). These helpers take the
# same ``{}`` placeholders as ``Table.raw`` and, on PostgreSQL, hand the statement straight to
# asyncpg (its prepared-statement cache then does the rest), on the transaction's connection
# when one is open. On SQLite they go through Piccolo as before.

_PLACEHOLDER = re.compile(r"\{\}")


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """``{}`` placeholders as asyncpg's ``$1, $2, ...``."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


async def fetch(sql: str, *args: Any) -> Sequence[Mapping[str, Any]]:
    """Rows of one statement written for both databases, with ``{}`` placeholders.

    Rows are mappings (``row["name"]``). SQLite hands timestamps and booleans back raw
    (text, 0/1), as ``Table.raw`` does.
    """
    db = engine()
    if isinstance(db, PostgresEngine):
        transaction = db.current_transaction.get()
        if transaction is not None:
            rows: Sequence[Mapping[str, Any]] = await transaction.connection.fetch(_numbered(sql), *args)
            return rows
        if db.pool is not None:
            return await _fetch_lent(db.pool, _numbered(sql), args)
    result: Sequence[Mapping[str, Any]] = await db.run_querystring(QueryString(sql, *args))
    return result


# A statement outside a transaction runs on one of a few connections this process keeps borrowed
# from the pool: asyncpg's acquire and release (a proxy, a future and a shielded task each time)
# cost as much client CPU as a short statement itself. A connection is only ever borrowed for
# single statements and is idle in between; more callers at once than ``LENT_CONNECTIONS`` use
# the pool as usual. :func:`close_pool` gives them back first (the pool waits for its connections).
LENT_CONNECTIONS = 2
_lent_from: Any = None  # the pool the idle borrowed connections belong to
_lent_idle: list[Any] = []
_lent_out = 0  # borrowed from _lent_from, idle or in use


async def _fetch_lent(pool: Any, sql: str, args: tuple[Any, ...]) -> Sequence[Mapping[str, Any]]:
    global _lent_from, _lent_out
    if pool is not _lent_from:  # a new pool (the old one was closed with its connections)
        _lent_from, _lent_out = pool, 0
        _lent_idle.clear()
    connection = _lent_idle.pop() if _lent_idle else None
    if connection is not None and connection.is_closed():  # the server went away: the pool reconnects
        await _give_back(pool, connection)
        connection = None
    if connection is None:
        if _lent_out >= LENT_CONNECTIONS:
            rows: Sequence[Mapping[str, Any]] = await pool.fetch(sql, *args)
            return rows
        _lent_out += 1
        try:
            connection = await pool.acquire()
        except BaseException:
            _lent_out -= 1
            raise
    try:
        rows = await connection.fetch(sql, *args)
    except BaseException:
        await _give_back(pool, connection)  # the pool checks it (a broken connection is closed)
        raise
    if pool is _lent_from:
        _lent_idle.append(connection)
    else:  # the pool is closing (or closed and replaced) meanwhile
        await pool.release(connection)
    return rows


async def _give_back(pool: Any, connection: Any) -> None:
    global _lent_out
    if pool is _lent_from:
        _lent_out -= 1
    await pool.release(connection)


async def _return_lent() -> None:
    """Give every idle borrowed connection back to its pool; ones in use go back when their statement ends."""
    global _lent_from, _lent_out
    pool, idle = _lent_from, list(_lent_idle)
    _lent_from, _lent_out = None, 0
    _lent_idle.clear()
    for connection in idle:
        await pool.release(connection)


async def fetchrow(sql: str, *args: Any) -> Mapping[str, Any] | None:
    """The first row of :func:`fetch`, or ``None``."""
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def ping() -> None:
    """Raise if the database cannot answer a trivial query."""
    await engine().run_ddl("SELECT 1")


__all__ = [
    "SQLiteTransaction",
    "build_engine",
    "close_pool",
    "enable_wal",
    "engine",
    "fetch",
    "fetchrow",
    "in_transaction",
    "open_pool",
    "ping",
    "write_transaction",
]


def is_connection_lost(error: BaseException) -> bool:
    """Whether a database error means "the connection to the server went away" (retryable).

    The server terminated our backend, a restart is under way, or the socket broke; the
    transaction was rolled back by the server, so the request may simply be sent again.
    """
    import asyncpg

    if isinstance(
        error,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.AdminShutdownError
        | asyncpg.CannotConnectNowError
        | asyncpg.ConnectionFailureError
        | ConnectionError,
    ):
        return True
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)
