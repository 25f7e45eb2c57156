"""The audit trail's table on the 18.16 server and on chdb: DDL, one row per entry, filtered reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from storage.clickhouse import ClickHouseExecutor, apply_migrations
from storage.clickhouse.audit_log import MAX_AUDIT_ENTRIES, AuditEntry, audit_entries, record_audit

Connect = Callable[[], ClickHouseExecutor]
#: The last millisecond of 2024-02-29 (UTC): entries around it fall in two days and two months.
MIDNIGHT = datetime(2024, 3, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def schema(clickhouse_connect: Connect) -> ClickHouseExecutor:
    executor = clickhouse_connect()
    apply_migrations(executor)
    return executor


def _entry(action: str, at: float, **overrides: object) -> AuditEntry:
    fields: dict[str, object] = {
        "actor_id": "a1b2c3d4e5f6",
        "actor_name": "wall-screen",
        "role": "monitor",
        "action": action,
        "target": "0123456789abcdef",
        "detail": {"by": "zhang.wei", "changed": True},
        "client": "10.0.0.7",
        "request_id": f"req-{action}",
        "at": at,
    }
    return AuditEntry(**{**fields, **overrides})  # type: ignore[arg-type]  # mixed value types, typed object


def test_audit_log_is_a_plain_merge_tree_partitioned_by_month(schema: ClickHouseExecutor) -> None:
    engines = schema.execute(
        "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'audit_log'"
    )
    assert engines == [("MergeTree",)]  # append-only: nothing merges rows away
    ddl = "".join(schema.execute("SHOW CREATE TABLE audit_log")[0][0].split())
    assert "PARTITIONBYtoYYYYMM(date)" in ddl and "ORDERBY(date,at,entry_id)" in ddl


def test_each_entry_is_one_row_read_back_whole_newest_first(schema: ClickHouseExecutor) -> None:
    older = _entry(
        "rules.replace",
        MIDNIGHT - 0.001,
        target="rules",
        detail={"revision": 4, "rules": 7, "note": '它\'s \\ a "test"\n'},
        actor_name="admin (HOTLINE_API_TOKEN)",
        actor_id="env",
        role="admin",
    )
    newer = _entry("alert.ack", MIDNIGHT + 0.25)
    cli = _entry(
        "token.create",
        MIDNIGHT + 0.25,
        actor_id="",
        actor_name="cli:ops",
        role="admin",
        client="cli:bastion",
        request_id="",
        detail={},
    )
    for entry in (older, newer, cli):
        record_audit(schema, entry)
    assert schema.execute("SELECT count() FROM audit_log") == [(3,)]
    got = audit_entries(schema)
    # Newest first; two in the same millisecond come in entry id order (descending).
    assert got[2] == older
    assert sorted(got[:2], key=lambda e: e.entry_id, reverse=True) == got[:2]
    assert {got[0].entry_id, got[1].entry_id} == {newer.entry_id, cli.entry_id}
    assert newer in got and cli in got
    # The day is the UTC day of the moment, kept to the millisecond.
    days = schema.execute("SELECT entry_id, date, at_ms FROM audit_log ORDER BY at, at_ms, entry_id")
    by_id = {entry_id: (day.isoformat(), ms) for entry_id, day, ms in days}
    assert by_id[older.entry_id] == ("2024-02-29", 999)
    assert by_id[newer.entry_id] == ("2024-03-01", 250)


def test_filters_by_action_actor_and_time_to_the_millisecond(schema: ClickHouseExecutor) -> None:
    entries = [
        _entry("silence.create", MIDNIGHT - 86_400.5, actor_name="night-desk", actor_id="0a0a0a0a0a0a"),
        _entry("alert.ack", MIDNIGHT - 0.001),
        _entry("alert.ack", MIDNIGHT),
        _entry("alert.resolve", MIDNIGHT + 0.002, actor_name="night-desk", actor_id="0a0a0a0a0a0a"),
    ]
    for entry in entries:
        record_audit(schema, entry)
    first, before, at_midnight, after = entries

    def ids(**filters: object) -> list[str]:
        return [
            e.entry_id
            for e in audit_entries(schema, **filters)  # type: ignore[arg-type]  # each filter is well-typed
        ]

    assert ids(action="alert.ack") == [at_midnight.entry_id, before.entry_id]
    assert ids(action="label.create") == []
    # The actor by token name or token id.
    assert ids(actor="night-desk") == [after.entry_id, first.entry_id]
    assert ids(actor="0a0a0a0a0a0a") == ids(actor="night-desk")
    assert ids(actor="night-desk", action="alert.resolve") == [after.entry_id]
    # since is inclusive, until exclusive, both to the millisecond, across days and months.
    assert ids(since=MIDNIGHT) == [after.entry_id, at_midnight.entry_id]
    assert ids(since=datetime(2024, 2, 29, 23, 59, 59, 999_000, tzinfo=UTC)) == ids()[:3]
    assert ids(until=MIDNIGHT) == [before.entry_id, first.entry_id]
    assert ids(since=MIDNIGHT - 1, until=MIDNIGHT + 0.002) == [at_midnight.entry_id, before.entry_id]
    assert ids(since=datetime(2024, 2, 28, 23, 59, 59), until=datetime(2024, 2, 29)) == [first.entry_id]
    assert ids(limit=2) == [after.entry_id, at_midnight.entry_id]


def test_the_limit_is_bounded(schema: ClickHouseExecutor) -> None:
    for limit in (0, MAX_AUDIT_ENTRIES + 1):
        with pytest.raises(ValueError, match="limit"):
            audit_entries(schema, limit=limit)
    assert audit_entries(schema, limit=MAX_AUDIT_ENTRIES) == []
