"""Batched, idempotent writers of ``calls`` and ``utterances`` rows.

Call events are at-least-once like every stream here, so each row is written once per key: the
batch is deduplicated, keys this process wrote recently are skipped, and the rest are looked up in
ClickHouse before the insert (the same three layers as :class:`ComplaintSink`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from storage.clickhouse.batching_sink import BatchingSink
from storage.clickhouse.call_queries import existing_call_ids, existing_utterance_ids
from storage.clickhouse.call_rows import normalize_call, normalize_utterance
from storage.clickhouse.call_schema import CALL_COLUMNS, UTTERANCE_COLUMNS
from storage.clickhouse.complaint_sink import SchemaNotReadyError
from storage.clickhouse.executor import ClickHouseExecutor, DriverExecutor
from storage.clickhouse.schema import missing_migrations

__all__ = ["CallSink", "UtteranceSink"]

log = logging.getLogger(__name__)

Row = dict[str, Any]


class _KeyedRowSink(BatchingSink[Row]):
    """Writes rows of one table, each key once; subclasses say which table and how to look up keys."""

    table: str
    columns: tuple[str, ...]
    key: str

    def __init__(
        self, connect: Callable[[], ClickHouseExecutor], *, recent_keys: int = 100_000, **kwargs: Any
    ):
        kwargs.setdefault("name", self.table)
        super().__init__(**kwargs)
        self.connect = connect
        self.recent_keys = recent_keys
        self.duplicates_skipped = 0
        self._executor: ClickHouseExecutor | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        """A sink writing over the native protocol to ``clickhouse://user:pass@host:port/database``."""
        return cls(lambda: DriverExecutor.from_url(url), **kwargs)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[str]:
        raise NotImplementedError

    def write(self, batch: list[Row]) -> int:
        unique: dict[str, Row] = {}
        for row in batch:
            unique.setdefault(row[self.key], row)
        fresh = [row for key, row in unique.items() if key not in self._recent]
        executor = self._executor_for_write()
        try:
            stored = self.stored_keys(executor, fresh) if fresh else set()
            new = [row for row in fresh if row[self.key] not in stored]
            executor.insert(self.table, self.columns, [tuple(row[c] for c in self.columns) for row in new])
        except Exception:
            self._drop_executor()
            raise
        for key in unique:
            self._recent[key] = None
            self._recent.move_to_end(key)
        while len(self._recent) > self.recent_keys:
            self._recent.popitem(last=False)
        skipped = len(batch) - len(new)
        if skipped:
            self.duplicates_skipped += skipped
            log.info("%s sink: skipped %d duplicate row(s) in a batch of %d", self.name, skipped, len(batch))
        return len(new)

    def on_writer_exit(self) -> None:
        self._drop_executor()

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
                raise SchemaNotReadyError(f"ClickHouse schema at {executor!r} lacks migrations {missing}")
            self._executor = executor
        return self._executor

    def _drop_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            try:
                executor.close()
            except Exception:
                log.debug("%s sink: closing %r failed", self.name, executor, exc_info=True)


class CallSink(_KeyedRowSink):
    """Writes ``calls`` rows (see :func:`~storage.clickhouse.call_rows.normalize_call`)."""

    table = "calls"
    columns = CALL_COLUMNS
    key = "call_id"

    def prepare(self, row: Row) -> Row:
        return normalize_call(row)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[str]:
        return existing_call_ids(executor, [row["call_id"] for row in rows])


class UtteranceSink(_KeyedRowSink):
    """Writes ``utterances`` rows (see :func:`~storage.clickhouse.call_rows.normalize_utterance`)."""

    table = "utterances"
    columns = UTTERANCE_COLUMNS
    key = "utterance_id"

    def prepare(self, row: Row) -> Row:
        return normalize_utterance(row)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[str]:
        return existing_utterance_ids(
            executor,
            call_ids=[row["call_id"] for row in rows],
            utterance_ids=[row["utterance_id"] for row in rows],
        )
