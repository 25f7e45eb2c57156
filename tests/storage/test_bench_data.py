"""The bench loader's synthetic rows and the server-admin statements, on the 18.16 server and in chdb."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.clickhouse import ClickHouseExecutor, apply_migrations
from storage.clickhouse.bench_data import latest_received_at, load_bench_data, stored_rows
from storage.clickhouse.server_admin import server_version

END = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


def test_load_bench_data_fills_complaints_and_ticket_events(clickhouse_executor: ClickHouseExecutor) -> None:
    apply_migrations(clickhouse_executor)
    assert stored_rows(clickhouse_executor, "complaints") == 0

    load_bench_data(clickhouse_executor, complaints=2000, days=2, end=END)

    assert stored_rows(clickhouse_executor, "complaints") == 2000
    assert 0 < stored_rows(clickhouse_executor, "ticket_events") < 3 * 2000
    latest = latest_received_at(clickhouse_executor)
    assert latest.tzinfo is not None
    assert END - timedelta(hours=1) < latest < END + timedelta(minutes=5)


def test_server_version_names_a_version(clickhouse_executor: ClickHouseExecutor) -> None:
    assert server_version(clickhouse_executor).split(".")[0].isdigit()
