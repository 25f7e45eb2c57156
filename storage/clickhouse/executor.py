"""What schema, sink and queries need from ClickHouse: run a statement, insert rows, close.

Two implementations run the same SQL: :class:`DriverExecutor` talks to a server over the native
protocol (clickhouse-driver), :class:`~storage.clickhouse.chdb_executor.ChdbExecutor` runs the current
ClickHouse engine in-process (chdb). Tests run every statement on both, so the SQL stays valid on
the 18.16 server we start locally and on a current production server.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from clickhouse_driver import Client
from clickhouse_driver.errors import NetworkError, SocketTimeoutError

from storage.clickhouse.sql_literals import quote_identifier, substitute_params

__all__ = ["CONNECTION_ERRORS", "ClickHouseExecutor", "DriverExecutor", "insert_statement"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 9000
#: What a server that is down or restarting raises (worth waiting for, unlike a bad statement).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (NetworkError, SocketTimeoutError, OSError, EOFError)
DEFAULT_SECURE_PORT = 9440


@runtime_checkable
class ClickHouseExecutor(Protocol):
    """One connection's worth of ClickHouse; not shared between threads (one executor per thread)."""

    database: str

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement; ``%(name)s`` placeholders take literals rendered from ``params``."""
        ...

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Insert ``rows`` (values in ``columns`` order) as data, never as SQL text."""
        ...

    def close(self) -> None:
        """Release the connection; the executor is unusable afterwards."""
        ...


def insert_statement(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO `t` (`a`, `b`)`` with every name checked, without the data clause."""
    if not columns:
        raise ValueError("an insert needs at least one column")
    names = ", ".join(quote_identifier(column) for column in columns)
    return f"INSERT INTO {quote_identifier(table)} ({names})"


class DriverExecutor:
    """A ClickHouse server over the native protocol, through one clickhouse-driver ``Client``.

    The client reconnects by itself after a failure; it is not thread-safe, hence one per thread.
    """

    def __init__(self, client: Client, database: str) -> None:
        self.client = client
        self.database = database

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        create_database: bool = True,
        connect_timeout: float = 3.0,
        send_receive_timeout: float = 30.0,
    ) -> DriverExecutor:
        """Connect to ``clickhouse://user:password@host:port/database``, creating the database if asked.

        ``clickhouses://`` uses TLS. Creating the database needs one round trip, so this fails when
        the server is down (the sink calls it inside its retry loop).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("clickhouse", "clickhouses"):
            raise ValueError(f"expected a clickhouse:// URL, got scheme {parts.scheme!r}")
        secure = parts.scheme == "clickhouses"
        database = unquote(parts.path.lstrip("/")) or "default"
        quote_identifier(database)  # reject odd names before they reach any statement
        options: dict[str, Any] = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or (DEFAULT_SECURE_PORT if secure else DEFAULT_PORT),
            "user": unquote(parts.username or "default"),
            "password": unquote(parts.password or ""),
            "secure": secure,
            "connect_timeout": connect_timeout,
            "send_receive_timeout": send_receive_timeout,
            "sync_request_timeout": min(5.0, send_receive_timeout),
        }
        if create_database and database != "default":
            admin = Client(database="system", **options)
            try:
                admin.execute(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}")
            finally:
                admin.disconnect()
        return cls(Client(database=database, **options), database)

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        # Render here rather than through the driver's own params, so chdb and the server get the
        # same text and the escaping we test is the escaping used.
        result = self.client.execute(substitute_params(sql, params))
        return [tuple(row) for row in result] if isinstance(result, list) else []

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        # Rows go as native-protocol data blocks; inlining VALUES in the SQL text hangs the driver.
        self.client.execute(insert_statement(table, columns) + " VALUES", [tuple(row) for row in rows])

    def close(self) -> None:
        self.client.disconnect()

    def __repr__(self) -> str:
        host, port = self.client.connection.hosts[0]
        return f"DriverExecutor({host}:{port}/{self.database})"
