"""The complaint sink: batching, exactly one row per event id, and rollups that never double count."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from storage.clickhouse import (
    ClickHouseExecutor,
    ComplaintSink,
    apply_migrations,
    count_complaints,
    minute_counts,
    minute_totals,
)

Connect = Callable[[], ClickHouseExecutor]
BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the make_complaint fixture's base minute
HOUR = BASE_TIME + timedelta(hours=1)


@pytest.fixture
def schema(clickhouse_connect: Connect) -> ClickHouseExecutor:
    executor = clickhouse_connect()
    apply_migrations(executor)
    return executor


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _card_total(executor: ClickHouseExecutor) -> int:
    return sum(
        n for _, n in minute_counts(executor, dimension="product", tag="card", since=BASE_TIME, until=HOUR)
    )


def test_flush_inserts_every_row(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=100, flush_s=30)
    rows = [make_complaint(f"s-{i}", minute=i % 5) for i in range(250)]
    try:
        sink.add_many(rows[:200])
        for row in rows[200:]:
            sink.add(row)
        assert sink.flush() == 250
        assert sink.buffered == 0
    finally:
        sink.close()
    assert count_complaints(schema, [r["event_id"] for r in rows]) == 250
    assert _card_total(schema) == 250
    assert sum(total for _, total, _ in minute_totals(schema, since=BASE_TIME, until=HOUR)) == 250


def test_full_batches_go_without_flush_and_partial_ones_wait(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=10, flush_s=60)
    try:
        sink.add_many([make_complaint(f"b-{i}") for i in range(25)])
        assert _wait_until(lambda: sink.inserted_total == 20)
        time.sleep(0.3)
        assert sink.inserted_total == 20
        assert sink.buffered == 5
        assert sink.flush() == 5
    finally:
        sink.close()
    assert count_complaints(schema, [f"b-{i}" for i in range(25)]) == 25


def test_partial_batch_goes_after_flush_s(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=0.2)
    try:
        sink.add_many([make_complaint(f"t-{i}") for i in range(3)])
        assert _wait_until(lambda: sink.inserted_total == 3, timeout=5)
    finally:
        sink.close()
    assert count_complaints(schema, ["t-0", "t-1", "t-2"]) == 3


def test_duplicates_in_one_batch_make_one_row(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    try:
        sink.add_many([make_complaint(f"d-{i % 10}") for i in range(40)])
        assert sink.flush() == 10
        assert sink.duplicates_skipped == 30
    finally:
        sink.close()
    assert count_complaints(schema, [f"d-{i}" for i in range(10)]) == 10
    assert _card_total(schema) == 10


def test_duplicates_across_batches_make_one_row(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    rows = [make_complaint(f"x-{i}") for i in range(20)]
    try:
        sink.add_many(rows)
        assert sink.flush() == 20
        sink.add_many(rows[5:15])  # a redelivery, remembered by this process
        assert sink.flush() == 0
        assert sink.duplicates_skipped == 10
    finally:
        sink.close()
    assert count_complaints(schema, [r["event_id"] for r in rows]) == 20
    assert _card_total(schema) == 20


def test_duplicates_after_a_restart_make_one_row(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    rows = [make_complaint(f"r-{i}", minute=i % 3) for i in range(30)]
    first = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    try:
        first.add_many(rows[:20])
        assert first.flush() == 20
    finally:
        first.close()
    # A new process replays from an older offset: it has no memory, ClickHouse must answer.
    second = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    try:
        second.add_many(rows)
        assert second.flush() == 10
        assert second.duplicates_skipped == 20
    finally:
        second.close()
    assert count_complaints(schema, [r["event_id"] for r in rows]) == 30
    assert _card_total(schema) == 30


def test_small_recent_memory_still_dedups_through_clickhouse(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30, recent_ids=5)
    rows = [make_complaint(f"m-{i}") for i in range(20)]
    try:
        sink.add_many(rows)
        assert sink.flush() == 20
        sink.add_many(rows)
        assert sink.flush() == 0
    finally:
        sink.close()
    assert count_complaints(schema, [r["event_id"] for r in rows]) == 20


def test_bad_rows_are_refused_at_add(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    uneven = make_complaint("bad-1")
    uneven["tags"] = ["card", "loan"]  # two tags for one dimension would break the rollup's ARRAY JOIN
    try:
        for bad in (
            uneven,
            {**make_complaint("bad-2"), "unexpected": 1},
            {**make_complaint("bad-3"), "received_at": "yesterday"},
            {**make_complaint("bad-4"), "risk": float("nan")},
            {**make_complaint("bad-5"), "event_id": ""},
        ):
            with pytest.raises(ValueError):
                sink.add(bad)
        with pytest.raises(ValueError):
            sink.add_many([make_complaint("good-1"), uneven])
        assert sink.buffered == 0
        sink.add(make_complaint("good-2"))
        assert sink.flush() == 1
    finally:
        sink.close()


def test_closed_sink_refuses_rows(
    clickhouse_connect: Connect, schema: ClickHouseExecutor, make_complaint
) -> None:
    sink = ComplaintSink(clickhouse_connect, batch_rows=1000, flush_s=30)
    sink.add(make_complaint("c-1"))
    sink.close()
    assert count_complaints(schema, ["c-1"]) == 1  # close() writes what was buffered
    with pytest.raises(RuntimeError):
        sink.add(make_complaint("c-2"))
