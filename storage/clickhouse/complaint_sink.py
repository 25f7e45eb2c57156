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

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from storage.clickhouse.batching_sink import BatchingSink
from storage.clickhouse.complaint_row import normalize_complaint
from storage.clickhouse.executor import ClickHouseExecutor, DriverExecutor
from storage.clickhouse.queries import existing_event_ids
from storage.clickhouse.schema import COMPLAINT_COLUMNS, missing_migrations

__all__ = ["ComplaintSink", "SchemaNotReadyError"]

log = logging.getLogger(__name__)

TABLE = "complaints"


class SchemaNotReadyError(RuntimeError):
    """The database lacks migrations; the sink keeps its rows and retries until they are applied."""


class ComplaintSink(BatchingSink[dict[str, Any]]):
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

    def __init__(
        self,
        connect: Callable[[], ClickHouseExecutor],
        *,
        recent_ids: int = 200_000,
        dedup_lookback_s: float = 3600.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", "complaints")
        super().__init__(**kwargs)
        self.connect = connect
        self.recent_ids = recent_ids
        self.dedup_lookback_s = dedup_lookback_s
        self.duplicates_skipped = 0
        self._executor: ClickHouseExecutor | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ComplaintSink:
        """A sink writing over the native protocol to ``clickhouse://user:pass@host:port/database``."""
        return cls(lambda: DriverExecutor.from_url(url), **kwargs)

    def prepare(self, row: dict[str, Any]) -> dict[str, Any]:
        return normalize_complaint(row)

    def write(self, batch: list[dict[str, Any]]) -> int:
        unique: dict[str, dict[str, Any]] = {}
        for row in batch:
            unique.setdefault(row["event_id"], row)
        fresh = [row for event_id, row in unique.items() if event_id not in self._recent]
        executor = self._executor_for_write()
        try:
            stored = self._stored_ids(executor, fresh)
            new = [row for row in fresh if row["event_id"] not in stored]
            executor.insert(
                TABLE, COMPLAINT_COLUMNS, [tuple(row[c] for c in COMPLAINT_COLUMNS) for row in new]
            )
        except Exception:
            self._drop_executor()  # reconnect from scratch on the next attempt
            raise
        self._remember(unique)
        skipped = len(batch) - len(new)
        if skipped:
            self.duplicates_skipped += skipped
            log.info(
                "%s sink: skipped %d duplicate(s) in a batch of %d (%d repeated within it, "
                "%d written recently by this process, %d already in ClickHouse)",
                self.name,
                skipped,
                len(batch),
                len(batch) - len(unique),
                len(unique) - len(fresh),
                len(stored),
            )
        log.debug("%s sink: inserted %d of %d rows", self.name, len(new), len(batch))
        return len(new)

    def on_writer_exit(self) -> None:
        self._drop_executor()

    def _stored_ids(self, executor: ClickHouseExecutor, rows: list[dict[str, Any]]) -> set[str]:
        if not rows:
            return set()
        lookback = timedelta(seconds=self.dedup_lookback_s)
        received = [row["received_at"] for row in rows]
        return existing_event_ids(
            executor,
            [row["event_id"] for row in rows],
            received_from=min(received) - lookback,
            received_to=max(received) + lookback,
        )

    def _remember(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self._recent[event_id] = None
            self._recent.move_to_end(event_id)
        while len(self._recent) > self.recent_ids:
            self._recent.popitem(last=False)

    def _executor_for_write(self) -> ClickHouseExecutor:
        if self._executor is None:
            executor = self.connect()
            try:
                missing = missing_migrations(executor)
            except Exception:
                executor.close()
                raise
            if missing:
                executor.close()
                # Rows inserted before the rollup views exist would never be counted: wait (retry).
                raise SchemaNotReadyError(f"ClickHouse schema at {executor!r} lacks migrations {missing}")
            self._executor = executor
            log.info("%s sink: connected to %r", self.name, executor)
        return self._executor

    def _drop_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            try:
                executor.close()
            except Exception:
                log.debug("%s sink: closing %r failed", self.name, executor, exc_info=True)
