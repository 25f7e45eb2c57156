"""Batched, idempotent writer of ``ticket_events`` rows (the deadline compliance figures).

The milestone rollup ``ticket_milestones_hour`` counts every row inserted, so each ticket event is
written once per (complaint id, kind, event id) - see
:class:`~storage.clickhouse.keyed_row_sink.KeyedRowSink` for how. The ClickHouse lookup is bounded
by the batch's ``received_at`` range: a row written again carries the same ``received_at`` (it is
part of the table's sorting key), and the bound lets the server skip other days' partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.clickhouse.analytics_schema import TICKET_EVENT_COLUMNS
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.keyed_row_sink import KeyedRowSink, Row
from storage.clickhouse.ticket_event_rows import TicketEventKey, normalize_ticket_event, ticket_event_key

__all__ = ["TicketEventSink", "stored_ticket_event_keys"]

#: Rows per lookup: keeps each statement's IN lists well under the server's max_query_size.
_LOOKUP_CHUNK = 1000


class TicketEventSink(KeyedRowSink):
    """Writes ``ticket_events`` rows, normalised by
    :func:`~storage.clickhouse.ticket_event_rows.normalize_ticket_event`."""

    table = "ticket_events"
    columns = TICKET_EVENT_COLUMNS

    def prepare(self, row: Row) -> Row:
        return normalize_ticket_event(row)

    def row_key(self, row: Row) -> TicketEventKey:
        return ticket_event_key(row)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[TicketEventKey]:
        return stored_ticket_event_keys(executor, rows)


def stored_ticket_event_keys(executor: ClickHouseExecutor, rows: Iterable[Row]) -> set[TicketEventKey]:
    """Which of these normalised rows' keys ``ticket_events`` holds, within their ``received_at`` range."""
    found: set[TicketEventKey] = set()
    listed = list(rows)
    for start in range(0, len(listed), _LOOKUP_CHUNK):
        chunk = listed[start : start + _LOOKUP_CHUNK]
        received: list[datetime] = [row["received_at"] for row in chunk]
        stored = executor.execute(
            "SELECT DISTINCT complaint_id, kind, event_id FROM ticket_events"
            " WHERE received_at >= %(lo)s AND received_at <= %(hi)s"
            " AND complaint_id IN %(complaints)s AND event_id IN %(ids)s",
            {
                "lo": min(received).replace(microsecond=0),  # DateTime keeps whole seconds
                "hi": max(received),
                "complaints": tuple(dict.fromkeys(row["complaint_id"] for row in chunk)),
                "ids": tuple(dict.fromkeys(row["event_id"] for row in chunk)),
            },
        )
        found.update((str(complaint), str(kind), str(event_id)) for complaint, kind, event_id in stored)
    wanted = {ticket_event_key(row) for row in listed}
    return found & wanted
