"""The statements ``/readyz`` runs to see that a store answers (the API keeps no SQL of its own)."""

from __future__ import annotations

from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["clickhouse_answers"]


def clickhouse_answers(executor: ClickHouseExecutor) -> None:
    """Raise unless ClickHouse runs a trivial query."""
    executor.execute("SELECT 1")
