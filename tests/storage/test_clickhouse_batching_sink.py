"""The BatchingSink contract on its own, with a sink that writes to a list and can be made to fail."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from storage.clickhouse import BatchingSink


class ListSink(BatchingSink[int]):
    """Stores rows in a list; while ``broken`` is set every write fails like a lost connection."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            name="list",
            retry_initial_s=0.01,
            retry_max_s=0.05,
            **kwargs,  # type: ignore[arg-type]  # kwargs typed object; tests pass int/float options
        )
        self.stored: list[int] = []
        self.batches: list[int] = []
        self.broken = threading.Event()
        self.writer_threads: set[str] = set()

    def prepare(self, row: int) -> int:
        if row < 0:
            raise ValueError("negative")
        return row

    def write(self, batch: list[int]) -> int:
        self.writer_threads.add(threading.current_thread().name)
        if self.broken.is_set():
            raise ConnectionError("store unreachable")
        self.stored.extend(batch)
        self.batches.append(len(batch))
        return len(batch)


def test_rows_arrive_in_order_in_batches_of_at_most_batch_rows() -> None:
    sink = ListSink(batch_rows=7, flush_s=30)
    try:
        sink.add_many(range(50))
        assert sink.flush() == 50
    finally:
        sink.close()
    assert sink.stored == list(range(50))
    assert max(sink.batches) == 7
    assert sink.writer_threads == {"list-writer"}


def test_backpressure_rises_while_the_store_is_down_and_no_row_is_lost() -> None:
    sink = ListSink(batch_rows=3, flush_s=0.05, max_buffer_rows=10)
    sink.broken.set()
    try:
        sink.add_many(range(9))
        assert not sink.backpressure
        sink.add(9)
        assert sink.backpressure
        sink.add(10)  # still accepted: backpressure asks, it does not drop
        with pytest.raises(TimeoutError, match="11 rows still buffered"):
            sink.flush(timeout=0.3)
        assert isinstance(sink.last_error, ConnectionError)
        assert sink.stored == []
        sink.broken.clear()
        assert sink.flush(timeout=10) == 11
        assert not sink.backpressure
        assert sink.last_error is None
    finally:
        sink.close()
    assert sink.stored == list(range(11))


def test_close_gives_up_after_its_timeout_and_reports_unwritten_rows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = ListSink(batch_rows=100, flush_s=30)
    sink.broken.set()
    sink.add_many(range(5))
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="storage.clickhouse.batching_sink"):
        sink.close(timeout=0.3)
    assert time.monotonic() - started < 3
    assert sink.buffered == 5
    assert any("5 rows NOT written" in record.getMessage() for record in caplog.records)


def test_a_bad_row_is_refused_and_nothing_of_its_batch_is_buffered() -> None:
    sink = ListSink(batch_rows=100, flush_s=30)
    try:
        with pytest.raises(ValueError):
            sink.add_many([1, 2, -3])
        assert sink.buffered == 0
        assert sink.flush() == 0
    finally:
        sink.close()


def test_many_producer_threads() -> None:
    sink = ListSink(batch_rows=64, flush_s=0.05)
    producers = [
        threading.Thread(target=lambda k=k: sink.add_many(range(k * 1000, k * 1000 + 1000))) for k in range(4)
    ]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join()
    try:
        sink.flush()
        assert sink.inserted_total == 4000
        assert sorted(sink.stored) == list(range(4000))
    finally:
        sink.close()
