"""Server-level statements the dev tools need: the server's version, dropping a whole database."""

from __future__ import annotations

from typing import Any, Protocol

from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.sql_literals import quote_identifier

__all__ = ["drop_database", "server_version"]


class _RunsStatements(Protocol):
    """A :class:`ClickHouseExecutor` or a bare clickhouse-driver ``Client``: both run plain SQL."""

    def execute(self, sql: str, /) -> Any: ...


def server_version(connection: _RunsStatements) -> str:
    """The version string of the server behind ``connection``."""
    return str(connection.execute("SELECT version()")[0][0])


def drop_database(executor: ClickHouseExecutor, database: str) -> None:
    """Drop ``database`` and every table in it; a no-op when it does not exist."""
    executor.execute(f"DROP DATABASE IF EXISTS {quote_identifier(database)}")
