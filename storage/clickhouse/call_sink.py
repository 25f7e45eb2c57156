"""Batched, idempotent writers of ``calls`` and ``utterances`` rows.

Call events are at-least-once like every stream here, so each row is written once per key (see
:class:`~storage.clickhouse.keyed_row_sink.KeyedRowSink`).
"""

from __future__ import annotations

from storage.clickhouse.call_queries import existing_call_ids, existing_utterance_ids
from storage.clickhouse.call_rows import normalize_call, normalize_utterance
from storage.clickhouse.call_schema import CALL_COLUMNS, UTTERANCE_COLUMNS
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.keyed_row_sink import KeyedRowSink, Row

__all__ = ["CallSink", "UtteranceSink"]


class CallSink(KeyedRowSink):
    """Writes ``calls`` rows (see :func:`~storage.clickhouse.call_rows.normalize_call`)."""

    table = "calls"
    columns = CALL_COLUMNS
    key = "call_id"

    def prepare(self, row: Row) -> Row:
        return normalize_call(row)

    def stored_keys(self, executor: ClickHouseExecutor, rows: list[Row]) -> set[str]:
        return existing_call_ids(executor, [row["call_id"] for row in rows])


class UtteranceSink(KeyedRowSink):
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
