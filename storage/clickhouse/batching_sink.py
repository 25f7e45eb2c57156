"""A small sink contract in the style of Quix Streams: ``add`` rows, ``flush``, watch ``backpressure``.

A background writer thread inserts a batch when ``batch_rows`` rows are buffered or ``flush_s``
seconds have passed, so producers never wait on the database. A failed write is retried with
capped exponential backoff for as long as it takes; its rows stay buffered meanwhile (never dropped
silently) and :attr:`BatchingSink.backpressure` tells producers to slow down once
``max_buffer_rows`` are waiting. Concrete sinks implement :meth:`BatchingSink.write` only; it runs on
the writer thread, so any client it opens belongs to that thread alone.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Generic, TypeVar

from tenacity import RetryCallState, Retrying, wait_exponential, wait_random

__all__ = ["BatchingSink"]

log = logging.getLogger(__name__)

Row = TypeVar("Row")
SUMMARY_EVERY_S = 60.0  # one INFO line per minute of activity, not one per batch


class BatchingSink(ABC, Generic[Row]):
    """Buffer rows and write them in batches from one writer thread.

    Parameters
    ----------
    batch_rows
        Rows per write; a full batch is written at once.
    flush_s
        Longest time a partial batch waits.
    max_buffer_rows
        Buffered rows at which :attr:`backpressure` turns True (rows are still accepted).
    retry_initial_s, retry_max_s
        Backoff between failed writes: exponential with jitter from ``retry_initial_s``, capped.
    name
        Used in the thread name and the logs.
    """

    def __init__(
        self,
        *,
        batch_rows: int = 1000,
        flush_s: float = 1.0,
        max_buffer_rows: int = 100_000,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 10.0,
        name: str = "sink",
    ) -> None:
        if batch_rows < 1 or max_buffer_rows < 1 or flush_s <= 0:
            raise ValueError("batch_rows and max_buffer_rows must be >= 1 and flush_s > 0")
        self.batch_rows = batch_rows
        self.flush_s = flush_s
        self.max_buffer_rows = max_buffer_rows
        #: Between failed writes: exponential from ``retry_initial_s``, capped; jitter so that
        #: restarted workers do not retry in step.
        self._retry_wait = wait_exponential(multiplier=retry_initial_s, max=retry_max_s) + wait_random(
            0, retry_initial_s
        )
        self.name = name
        self._buffer: list[Row] = []
        #: CPU seconds the writer thread spent in writes (metrics: where a worker's time goes).
        self.write_cpu_s = 0.0
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._close_deadline = float("inf")
        self._thread: threading.Thread | None = None
        self._flush_waiters = 0
        self._added_total = 0  # rows ever accepted
        self._done_total = 0  # rows taken off the buffer after a successful write
        self._inserted_total = 0  # what write() reported as newly stored
        self._last_error: BaseException | None = None
        self._writer_failed: BaseException | None = None
        self._summary_rows = 0
        self._summary_batches = 0
        self._summary_since = time.monotonic()

    # -- producer side ---------------------------------------------------------------------------

    def prepare(self, row: Row) -> Row:
        """Validate and normalise one row in the producer's thread; raise ValueError for a bad one.

        Bad rows are refused here so that one of them cannot block every later batch.
        """
        return row

    def add(self, row: Row) -> None:
        """Buffer one row (never blocks, never drops; check :attr:`backpressure`)."""
        self.add_many((row,))

    def add_many(self, rows: Iterable[Row]) -> None:
        """Buffer rows; all or none: if one fails :meth:`prepare`, nothing is added."""
        prepared = [self.prepare(row) for row in rows]
        if not prepared:
            return
        with self._cond:
            if self._closing.is_set():
                raise RuntimeError(f"{self.name} sink is closed")
            self._buffer.extend(prepared)
            self._added_total += len(prepared)
            if len(self._buffer) >= self.batch_rows:
                self._cond.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"{self.name}-writer", daemon=True)
                self._thread.start()

    @property
    def backpressure(self) -> bool:
        """True while ``max_buffer_rows`` or more rows wait: the producer should pause."""
        return len(self._buffer) >= self.max_buffer_rows

    @property
    def buffered(self) -> int:
        """Rows accepted but not yet written."""
        return len(self._buffer)

    @property
    def inserted_total(self) -> int:
        """Rows written so far, as counted by :meth:`write`."""
        return self._inserted_total

    @property
    def last_error(self) -> BaseException | None:
        """The most recent write failure (None once a write succeeds again)."""
        return self._last_error

    def flush(self, timeout: float | None = 30.0) -> int:
        """Write everything added before this call; return the rows newly stored meanwhile.

        Raises ``TimeoutError`` (rows stay buffered and keep being retried) when that takes longer
        than ``timeout`` seconds, e.g. while the database is down.
        """
        with self._cond:
            target = self._added_total
            inserted_before = self._inserted_total
            if self._done_total >= target:
                return 0
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(
                    lambda: self._done_total >= target or self._writer_failed is not None, timeout
                )
            finally:
                self._flush_waiters -= 1
            if self._writer_failed is not None:
                raise RuntimeError(f"{self.name} sink writer died") from self._writer_failed
            if not done:
                raise TimeoutError(
                    f"{self.name} sink: {len(self._buffer)} rows still buffered after {timeout} s; "
                    f"last error: {self._last_error!r}"
                )
            return self._inserted_total - inserted_before

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered (trying for up to ``timeout`` s), then stop the writer thread.

        Rows that could not be written by then are reported at ERROR level.
        """
        with self._cond:
            if self._closing.is_set():
                return
            self._close_deadline = time.monotonic() + timeout
            self._closing.set()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout + 5.0)
        if self._buffer:
            log.error(
                "%s sink closed with %d rows NOT written (last error: %r)",
                self.name,
                len(self._buffer),
                self._last_error,
            )
        self._log_summary(force=True)

    # -- writer side -----------------------------------------------------------------------------

    @abstractmethod
    def write(self, batch: list[Row]) -> int:
        """Store ``batch`` (runs on the writer thread); return the rows newly stored; raise to retry.

        May be called again with the same rows after a failure, so it must be idempotent.
        """

    def on_writer_exit(self) -> None:
        """Release what :meth:`write` opened; runs on the writer thread when it stops."""

    def _run(self) -> None:
        try:
            next_due = time.monotonic() + self.flush_s
            while True:
                with self._cond:
                    while not self._should_write(next_due):
                        if self._closing.is_set() and not self._buffer:
                            return
                        self._cond.wait(max(0.0, next_due - time.monotonic()))
                        if time.monotonic() >= next_due and not self._buffer:
                            next_due = time.monotonic() + self.flush_s
                    batch = self._buffer[: self.batch_rows]
                inserted = self._write_with_retry(batch)
                if inserted is None:  # closing and out of time: leave the rows for close() to report
                    return
                with self._cond:
                    del self._buffer[: len(batch)]
                    self._done_total += len(batch)
                    self._inserted_total += inserted
                    self._summary_rows += inserted
                    self._summary_batches += 1
                    next_due = time.monotonic() + self.flush_s
                    self._cond.notify_all()
                self._log_summary()
        except BaseException as exc:  # a bug in write(): make flush() fail instead of hanging
            log.exception("%s sink writer stopped by an unexpected error", self.name)
            with self._cond:
                self._writer_failed = exc
                self._cond.notify_all()
        finally:
            try:
                self.on_writer_exit()
            except Exception:
                log.exception("%s sink: releasing the writer's resources failed", self.name)

    def _should_write(self, next_due: float) -> bool:
        if not self._buffer:
            return False
        return (
            len(self._buffer) >= self.batch_rows
            or self._flush_waiters > 0
            or self._closing.is_set()
            or time.monotonic() >= next_due
        )

    def _write_with_retry(self, batch: list[Row]) -> int | None:
        started = time.monotonic()
        retrying = Retrying(
            wait=self._retry_wait,
            stop=self._out_of_time,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        cpu_started = time.thread_time()
        try:
            inserted = retrying(self.write, batch)
        except Exception as exc:
            self._last_error = exc
            return None
        finally:
            self.write_cpu_s += time.thread_time() - cpu_started
        attempts = retrying.statistics.get("attempt_number", 1)
        if attempts > 1:
            log.info(
                "%s sink: write of %d rows succeeded after %d attempts (%.1f s)",
                self.name,
                len(batch),
                attempts,
                time.monotonic() - started,
            )
        self._last_error = None
        return inserted

    def _out_of_time(self, state: RetryCallState) -> bool:
        return self._closing.is_set() and time.monotonic() >= self._close_deadline

    def _sleep(self, seconds: float) -> None:
        if not self._closing.is_set():
            self._closing.wait(seconds)  # close() cuts the wait short
        else:
            time.sleep(max(0.0, min(seconds, self._close_deadline - time.monotonic())))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        self._last_error = exc
        attempt = state.attempt_number
        # Every attempt at DEBUG, attempts 1, 2, 4, 8, ... at WARNING: a long outage stays readable.
        level = logging.WARNING if attempt & (attempt - 1) == 0 else logging.DEBUG
        log.log(
            level,
            "%s sink: write attempt %d failed (%s: %s); %d rows buffered, retrying in %.1f s",
            self.name,
            attempt,
            type(exc).__name__,
            exc,
            len(self._buffer),
            state.upcoming_sleep,
        )

    def _log_summary(self, force: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self._summary_since
        if not force and elapsed < SUMMARY_EVERY_S:
            return
        if self._summary_batches or force:
            log.info(
                "%s sink: %d rows stored in %d batches over %.0f s; %d buffered",
                self.name,
                self._summary_rows,
                self._summary_batches,
                elapsed,
                len(self._buffer),
            )
        self._summary_rows = self._summary_batches = 0
        self._summary_since = now
