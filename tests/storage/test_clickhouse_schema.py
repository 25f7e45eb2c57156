"""Migrations: applied once, recorded, and the DDL valid on ClickHouse 18.16 and on current ClickHouse."""

from __future__ import annotations

from storage.clickhouse import MIGRATIONS, ClickHouseExecutor, Migration, apply_migrations


def _tables(executor: ClickHouseExecutor) -> dict[str, str]:
    rows = executor.execute("SELECT name, engine FROM system.tables WHERE database = currentDatabase()")
    return {str(name): str(engine) for name, engine in rows}


def test_migrations_apply_once_and_are_recorded(clickhouse_executor: ClickHouseExecutor) -> None:
    first = apply_migrations(clickhouse_executor)
    assert first == [m.name for m in MIGRATIONS]
    assert apply_migrations(clickhouse_executor) == []
    recorded = clickhouse_executor.execute("SELECT version, name FROM schema_migrations ORDER BY version")
    assert recorded == [(m.version, m.name) for m in MIGRATIONS]
    tables = _tables(clickhouse_executor)
    assert tables["complaints"] == "ReplacingMergeTree"
    assert tables["complaint_counts_minute"] == "SummingMergeTree"
    assert tables["complaint_totals_minute"] == "SummingMergeTree"
    assert tables["complaint_counts_minute_mv"] == "MaterializedView"
    assert tables["complaint_totals_minute_mv"] == "MaterializedView"


def test_complaints_columns_have_the_agreed_types(clickhouse_executor: ClickHouseExecutor) -> None:
    apply_migrations(clickhouse_executor)
    columns = {str(row[0]): str(row[1]) for row in clickhouse_executor.execute("DESCRIBE TABLE complaints")}
    assert columns["received_at"] == "DateTime('UTC')"
    assert columns["tags"] == "Array(String)"
    assert columns["tag_confidences"] == "Array(Float32)"
    assert columns["regulator_forwarded"] == "UInt8"
    assert columns["risk"] == "Float32"


def test_a_new_migration_is_applied_on_top(clickhouse_executor: ClickHouseExecutor) -> None:
    apply_migrations(clickhouse_executor)
    extra = Migration(
        version=MIGRATIONS[-1].version + 1,
        name="9999_probe",
        statements=("CREATE TABLE IF NOT EXISTS probe (x UInt8) ENGINE = MergeTree ORDER BY x",),
    )
    assert apply_migrations(clickhouse_executor, (*MIGRATIONS, extra)) == ["9999_probe"]
    assert apply_migrations(clickhouse_executor, (*MIGRATIONS, extra)) == []
    assert "probe" in _tables(clickhouse_executor)
