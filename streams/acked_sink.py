"""Acknowledge stream events only after ClickHouse has their rows.

Faust commits the offsets of acked events; acking before the batched insert succeeded would lose the
buffered rows on a crash. Events are held here until a flush that covers their rows returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import faust

from storage.clickhouse import ComplaintSink
from streams.worker_metrics import STAGE_CPU_SECONDS

__all__ = ["AckedSink"]

log = logging.getLogger(__name__)

#: Longest one flush call waits for the writer thread before reporting and trying again later.
FLUSH_WAIT_S = 10.0


class AckedSink:
    """A ComplaintSink whose rows' source events are acked once the rows are written."""

    def __init__(self, sink: ComplaintSink, *, batch_rows: int, flush_s: float) -> None:
        self.sink = sink
        self.batch_rows = batch_rows
        self.flush_s = flush_s
        self._held: deque[faust.EventT] = deque()
        self._held_rows = 0
        self._flushing: asyncio.Task[None] | None = None
        self._last_flush = time.monotonic()
        self._behind_since: float | None = None  # first flush that timed out in the current outage
        self._counted_cpu_s = 0.0  # of the writer thread's CPU, what the metrics have

    @property
    def backpressure(self) -> bool:
        return self.sink.backpressure

    @property
    def buffered(self) -> int:
        return self._held_rows

    def add(self, rows: Sequence[Mapping[str, Any]], events: Sequence[faust.EventT]) -> None:
        """Buffer ``rows``; ``events`` (including ones that produced no row) ack once they are written."""
        self.sink.add_many(rows)
        self._held.extend(events)
        self._held_rows += len(rows)
        if self._held_rows >= self.batch_rows or time.monotonic() - self._last_flush >= self.flush_s:
            self.flush_soon()

    def flush_soon(self) -> None:
        """Start a flush unless one is running or nothing is held."""
        if self._held and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.ensure_future(self._flush())

    async def wait_for_room(self) -> None:
        """Block the agent while the sink is full: backpressure instead of unbounded memory."""
        warned = False
        while self.sink.backpressure:
            if not warned:
                log.warning("ClickHouse sink is full (%d rows held); pausing intake", self._held_rows)
                warned = True
            self.flush_soon()
            await asyncio.sleep(0.2)

    async def drain(self, timeout_s: float) -> None:
        """Flush what is held (worker shutdown). Rows still unwritten after ``timeout_s`` are not
        lost: their events stay unacked, so the next worker reads them again."""
        if self._flushing is not None and not self._flushing.done():
            await self._flushing
        if self._held:
            try:
                await asyncio.wait_for(self._flush(), timeout_s)
            except TimeoutError:
                log.error(
                    "shutdown: %d row(s) not written; their events will be redelivered", self._held_rows
                )

    async def _flush(self) -> None:
        n_events, n_rows = len(self._held), self._held_rows
        self._last_flush = time.monotonic()
        try:
            await asyncio.to_thread(self.sink.flush, FLUSH_WAIT_S)
        except TimeoutError as exc:
            # Once per outage: the sink itself logs each failed attempt with its row count.
            level = logging.WARNING if self._behind_since is None else logging.DEBUG
            self._behind_since = self._behind_since or time.monotonic()
            log.log(level, "ClickHouse not written yet; %d row(s) held and retried: %s", self._held_rows, exc)
            return
        except Exception:
            log.exception("ClickHouse sink failed; %d row(s) stay unacked and will be redelivered", n_rows)
            return
        written_cpu = self.sink.write_cpu_s
        STAGE_CPU_SECONDS.labels(stage="sink_insert").inc(written_cpu - self._counted_cpu_s)
        self._counted_cpu_s = written_cpu
        for _ in range(n_events):
            self._held.popleft().ack()
        self._held_rows -= n_rows
        if self._behind_since is not None:
            log.info(
                "ClickHouse sink writing again after %.0f s; %d row(s) still held",
                time.monotonic() - self._behind_since,
                self._held_rows,
            )
            self._behind_since = None
