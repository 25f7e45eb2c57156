"""A batching sink that writes each row of one table once per key (complaints, calls, utterances,
ticket events).

Stream events are at-least-once, and a materialized-view rollup counts every row it sees, so the
rows are deduplicated before the insert in three layers: within the batch, against a bounded memory
of keys this process wrote recently, and by a lookup of the rest in ClickHouse (which also catches a
retried insert whose first attempt reached the server).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any, Self

from storage.clickhouse.batching_sink import BatchingSink
from storage.clickhouse.executor import ClickHouseExecutor, DriverExecutor
from storage.clickhouse.schema import missing_migrations

__all__ = ["KeyedRowSink", "Row", "SchemaNotReadyError"]

log = logging.getLogger(__name__)

Row = dict[str, Any]


class SchemaNotReadyError(RuntimeError):
    """The database lacks migrations; the sink keeps its rows and retries until they are applied."""


class KeyedRowSink(BatchingSink[Row]):
    """Writes rows of one table, each key once; subclasses say which table and how to look up keys.

    The key is the ``key`` column unless a subclass overrides :meth:`row_key`.
    """

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
        self._recent: OrderedDict[Hashable, None] = OrderedDict()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Self:
        """A sink writing over the native protocol to ``clickhouse://user:pass@host:port/database``."""
        return cls(lambda: DriverExecutor.from_url(url), **kwargs)

    def row_key(self, row: Row) -> Hashable:
        """What makes ``row`` the same row as another: it is written once per key."""
        return row[self.key]

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> AbstractSet[Hashable]:
        """Which of the keys of ``rows`` ClickHouse already holds."""
        raise NotImplementedError

    def write(self, batch: list[Row]) -> int:
        unique: dict[Hashable, Row] = {}
        for row in batch:
            unique.setdefault(self.row_key(row), row)
        fresh = {key: row for key, row in unique.items() if key not in self._recent}
        executor = self._executor_for_write()
        try:
            stored = self.stored_keys(executor, list(fresh.values())) if fresh else frozenset()
            new = [row for key, row in fresh.items() if key not in stored]
            values = (
                itemgetter(*self.columns) if len(self.columns) > 1 else lambda row: (row[self.columns[0]],)
            )
            executor.insert(self.table, self.columns, [values(row) for row in new])
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
            log.info(
                "%s sink: skipped %d duplicate(s) in a batch of %d (%d repeated within it, "
                "%d written recently by this process, %d already in ClickHouse)",
                self.name,
                skipped,
                len(batch),
                len(batch) - len(unique),
                len(unique) - len(fresh),
                len(fresh) - len(new),
            )
        log.debug("%s sink: inserted %d of %d rows", self.name, len(new), len(batch))
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
