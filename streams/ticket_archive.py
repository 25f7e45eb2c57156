"""The ClickHouse writer of ``ticket_events`` for one worker (the deadline compliance figures).

The deadline agent hands each archived ticket event's row to a
:class:`~storage.clickhouse.TicketEventSink`: it inserts from its own thread, retries a failed
write with backoff for as long as ClickHouse is down (logging attempts 1, 2, 4, 8, ... and the
recovery), and writes each (complaint, kind, event id) once. The agent never waits on ClickHouse,
so the deadline clocks in Redis keep moving through an outage; only once
``HOTLINE_SINK_MAX_BUFFER_ROWS`` rows are buffered (the bound of the other sinks, hours of ticket
events) does it pause, to keep memory bounded. What an outage can still lose is said in
:mod:`streams.agents.deadlines`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from storage.clickhouse import TicketEventSink
from streams.worker_service import WorkerService

__all__ = ["TicketArchive"]

log = logging.getLogger(__name__)

#: Longest a stopping worker tries to write buffered rows (after that they are reported as lost).
SHUTDOWN_FLUSH_S = 8.0
#: How often a paused agent looks whether the buffer has room again.
ROOM_POLL_S = 0.2


class TicketArchive(WorkerService):
    """The worker's ticket-event sink: started with the worker, drained when it stops."""

    async def on_start(self) -> None:
        s = self.settings
        self.sink = TicketEventSink.from_url(s.clickhouse_url, flush_s=s.sink_flush_s, **s.sink_options)
        self.ready.set()

    async def on_stop(self) -> None:
        await asyncio.to_thread(self.sink.close, SHUTDOWN_FLUSH_S)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Buffer ``rows`` (never blocks). A row the table would refuse is logged and left out:
        buffered, it would fail every retry of its batch and stall the archive."""
        for row in rows:
            try:
                self.sink.add(row)
            except ValueError as exc:
                log.error("ticket event %s not archived: %s", row.get("event_id"), exc)

    async def wait_for_room(self) -> None:
        """Wait while the buffer is full (ClickHouse down for long): bounded memory over moving clocks."""
        if not self.sink.backpressure:
            return
        log.warning(
            "ticket-event archive full (%d rows wait for ClickHouse); pausing ticket events",
            self.sink.buffered,
        )
        while self.sink.backpressure:
            await asyncio.sleep(ROOM_POLL_S)
        log.info("ticket-event archive has room again; ticket events resume")
