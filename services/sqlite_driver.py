"""SQLAlchemy's aiosqlite driver with one thread hop per statement instead of four.

aiosqlite runs each call on its connection's thread and wakes the event loop when it is done;
SQLAlchemy's adapter makes four such calls for every statement (open a cursor, execute, fetch
the rows, close the cursor). On a local SQLite file the statement itself takes microseconds,
the hops (a queue, a future, a wake-up of the loop and the GIL passed back and forth) most of
a tap's database time. Here the four run together on the connection's thread, in one hop;
rows, errors and cursor attributes come back exactly as before. Server-side cursors (not
used by the bot) keep SQLAlchemy's own. A commit or rollback with no transaction open
(which sqlite3 would skip anyway) makes no hop.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Result = tuple[Any, Sequence[Any], int | None, int]


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> _Result:
    cursor = conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, operation: str, parameters: Any) -> _Result:
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, (), cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _run(self, function: Any, operation: Any, parameters: Any) -> _Result:
        connection = self._connection
        return self.await_(connection._execute(
            function, connection._conn, operation, parameters))

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            description, rows, lastrowid, rowcount = self._run(_execute, operation, parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows)
        else:
            self.description = None
            self.lastrowid = lastrowid  # type: ignore[assignment]
            self.rowcount = rowcount

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            _, _, lastrowid, rowcount = self._run(_executemany, operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = None
        self.lastrowid = lastrowid  # type: ignore[assignment]
        self.rowcount = rowcount


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return OneHopCursor(self)

    def _in_transaction(self) -> bool:
        try:
            return bool(self._connection._conn.in_transaction)
        except ValueError:  # no active connection: let the call below report it
            return True

    # sqlite3's commit() and rollback() do nothing outside a transaction; ask first, without
    # a hop. Reads open none (pysqlite mode), so a read-only update, the pool's reset after
    # a commit and the commit after a handler that committed already cost no hop at all.
    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        if type(connection) is AsyncAdapt_aiosqlite_connection:
            return OneHopConnection(connection.dbapi, connection._connection)
        return connection


def dbapi() -> OneHopDBAPI:
    """The DBAPI module for `create_async_engine(..., module=dbapi())`."""
    return OneHopDBAPI(aiosqlite, sqlite3)
