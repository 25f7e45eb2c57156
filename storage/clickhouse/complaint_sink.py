"""Batched, idempotent writer of classified complaints into ClickHouse ``complaints``.

The stream is at-least-once (the local broker has no transactions), so the same complaint can
arrive twice: in one batch, in a later batch, or after a restart. A second row would be counted
twice by the materialized-view rollups, which never un-count, so duplicates are removed before the
insert, in three layers:

1. within the batch (first occurrence wins);
2. a bounded memory of the event ids this process wrote recently (LRU, ``recent_ids`` entries);
3. a lookup of the batch's ids in ClickHouse, restricted to the batch's ``received_at`` range widened
   by ``dedup_lookback_s`` (a redelivery carries the original ``received_at``, and the bound lets the
   server skip other days' partitions).

A retried insert whose first attempt reached the server is caught by layer 3. Two sinks writing the
same event at the same instant (possible only during a consumer rebalance) are not; the table's
ReplacingMergeTree key is the last backstop for the raw rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from storage.clickhouse.complaint_row import normalize_complaint
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.keyed_row_sink import KeyedRowSink, Row, SchemaNotReadyError
from storage.clickhouse.queries import existing_event_ids
from storage.clickhouse.schema import COMPLAINT_COLUMNS

__all__ = ["ComplaintSink", "SchemaNotReadyError"]


class ComplaintSink(KeyedRowSink):
    """Write complaint rows (dicts keyed by column name) to ClickHouse, each event id once.

    Parameters
    ----------
    connect
        Makes the writer thread's own executor; called lazily and again after a failed write,
        so a sink can start while ClickHouse is down.
    recent_ids
        Event ids remembered as written, to skip redeliveries without asking ClickHouse.
    dedup_lookback_s
        How far around the batch's ``received_at`` range the ClickHouse lookup searches.
    **kwargs
        Batching and retry options of :class:`BatchingSink`.
    """

    table = "complaints"
    columns = COMPLAINT_COLUMNS
    key = "event_id"

    def __init__(
        self,
        connect: Callable[[], ClickHouseExecutor],
        *,
        recent_ids: int = 200_000,
        dedup_lookback_s: float = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(connect, recent_keys=recent_ids, **kwargs)
        self.dedup_lookback_s = dedup_lookback_s

    def prepare(self, row: Row) -> Row:
        return normalize_complaint(row)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[str]:
        lookback = timedelta(seconds=self.dedup_lookback_s)
        received = [row["received_at"] for row in rows]
        return existing_event_ids(
            executor,
            [row["event_id"] for row in rows],
            received_from=min(received) - lookback,
            received_to=max(received) + lookback,
        )
