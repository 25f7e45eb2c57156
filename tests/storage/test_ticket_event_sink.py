"""The ticket-event sink (issue 7): rows checked on add, keyed per complaint, written once (both engines)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.clickhouse import ClickHouseExecutor, TicketEventSink, apply_migrations
from storage.clickhouse.analytics_schema import TICKET_EVENT_COLUMNS
from storage.clickhouse.ticket_event_rows import normalize_ticket_event, ticket_event_key
from storage.clickhouse.ticket_event_sink import stored_ticket_event_keys

Connect = Callable[[], ClickHouseExecutor]
RECEIVED = datetime(2024, 3, 1, 12, 0, 7, 250_000, tzinfo=UTC)


def _event(complaint_id: str, kind: str, event_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "event_id": event_id,
        "complaint_id": complaint_id,
        "kind": kind,
        "at": (RECEIVED + timedelta(minutes=20)).timestamp(),
        "received_at": RECEIVED.timestamp(),
        "regulator_forwarded": True,
        "regulator_ref": None,
        "paused_s": 0,
        "limit_days": 0,
        "actor": "agent-7",
        "note": None,
    }
    return {**row, **overrides}


def test_rows_are_completed_and_typed() -> None:
    row = normalize_ticket_event(
        {"event_id": "c1:r", "complaint_id": "c1", "kind": "responded", "at": RECEIVED, "received_at": 1.5}
    )
    assert list(row) == list(TICKET_EVENT_COLUMNS)  # every column, in insert order
    assert row["at"] == RECEIVED and row["received_at"] == datetime.fromtimestamp(1.5, UTC)
    assert (row["regulator_forwarded"], row["regulator_ref"], row["paused_s"], row["actor"]) == (0, "", 0, "")
    naive = normalize_ticket_event({**row, "at": RECEIVED.replace(tzinfo=None)})
    assert naive["at"] == RECEIVED  # naive means UTC


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "received"}, "kind must be one of"),
        ({"received_at": None}, "lacks received_at"),
        ({"event_id": ""}, "lacks event_id"),
        ({"colour": "red"}, "unknown ticket event fields"),
        ({"event_id": "x" * 129}, "event_id must be a string"),
        ({"at": "yesterday"}, "at must be epoch seconds"),
        ({"at": 2.0**33}, "at is outside what DateTime holds"),
        ({"paused_s": -1}, r"paused_s must be an integer in \[0, 4294967295\]"),
        ({"limit_days": 70_000}, "limit_days must be an integer"),
        ({"limit_days": 30.0}, "limit_days must be an integer"),
        ({"actor": 7}, "actor must be a string"),
    ],
)
def test_rows_clickhouse_would_refuse_are_refused_at_add(change: dict[str, Any], message: str) -> None:
    sink = TicketEventSink(lambda: pytest.fail("nothing may be written"), batch_rows=10, flush_s=30)
    with pytest.raises(ValueError, match=message):
        sink.add({**_event("c1", "responded", "c1:r"), **change})
    assert sink.buffered == 0


def test_an_event_is_keyed_by_complaint_kind_and_id() -> None:
    """A ticket system may number each complaint's events alike: the same id in two complaints is
    two events; the same event normalised twice is one key."""
    first = normalize_ticket_event(_event("c1", "responded", "sim-responded"))
    other = normalize_ticket_event(_event("c2", "responded", "sim-responded"))
    assert ticket_event_key(first) == ("c1", "responded", "sim-responded")
    assert ticket_event_key(first) != ticket_event_key(other)
    again = normalize_ticket_event(_event("c1", "responded", "sim-responded", actor="someone else"))
    assert ticket_event_key(again) == ticket_event_key(first)


def _milestones(executor: ClickHouseExecutor) -> dict[str, int]:
    rows = executor.execute("SELECT kind, sum(reached) FROM ticket_milestones_hour GROUP BY kind")
    return {str(kind): int(reached) for kind, reached in rows}


def test_the_sink_writes_each_ticket_event_once(clickhouse_connect: Connect) -> None:
    schema = clickhouse_connect()
    apply_migrations(schema)
    responded = _event("c1", "responded", "sim-responded")
    other_complaint = _event("c2", "responded", "sim-responded")
    paused = _event("c1", "paused", "c1:p", at=(RECEIVED + timedelta(minutes=5)).timestamp())
    sink = TicketEventSink(clickhouse_connect, batch_rows=50, flush_s=30)
    try:
        sink.add_many([responded, paused, responded, other_complaint])  # a duplicate within the batch
        assert sink.flush() == 3
        sink.add(responded)  # written by this process before
        assert sink.flush() == 0
    finally:
        sink.close()
    # A new process (empty memory, e.g. after a restart) finds the rows in ClickHouse instead.
    fresh = TicketEventSink(clickhouse_connect, batch_rows=50, flush_s=30)
    try:
        fresh.add_many([paused, other_complaint, _event("c3", "closed", "c3:c")])
        assert fresh.flush() == 1
        assert fresh.duplicates_skipped == 2
    finally:
        fresh.close()

    count = schema.execute("SELECT count() FROM ticket_events")[0][0]
    assert count == 4
    assert _milestones(schema) == {"responded": 2, "closed": 1}  # the rollup counted each once
    rows = [normalize_ticket_event(e) for e in (responded, paused, _event("c1", "resolved", "c1:z"))]
    assert stored_ticket_event_keys(schema, rows) == {
        ("c1", "responded", "sim-responded"),
        ("c1", "paused", "c1:p"),
    }
