"""When each accepted complaint's row became visible in ClickHouse, for the throughput benchmarks.

A thread with its own ClickHouse client polls for the run's rows. Each poll asks for the sequence
numbers of the rows classified since shortly before the previous poll (a row not visible then was
classified at most a sink flush earlier), so it costs the server little however large the backlog;
every ``sweep_s`` the oldest stragglers are also looked up by id, so a row held up longer than
that (a retried insert) is still found. The bench's own polling must not eat the CPU it measures.
"""

from __future__ import annotations

import logging
import threading
import time

from config.settings import Settings
from storage.clickhouse import DriverExecutor, visible_event_ids, visible_sequence_numbers

__all__ = ["RowVisibility"]

log = logging.getLogger(__name__)

#: A row can become visible this long after it was classified (sink flush + insert + whole seconds).
CLASSIFIED_SLACK_S = 3.0
#: Oldest pending ids looked up by id in each sweep.
SWEEP_IDS = 1000


class RowVisibility:
    """Ids ``f"{run}-{n}"`` waiting for their row; ``take()`` hands out their latencies.

    Latency = first poll that saw the row - the time given to :meth:`add` (POST sent or due). Add
    ids before their POST goes out (and :meth:`discard` the ones refused): a row can become visible
    before the POST's answer arrives.
    """

    def __init__(
        self, settings: Settings, *, run: str, branch: str, poll_s: float, sweep_s: float = 5.0
    ) -> None:
        self._settings = settings
        self._branch = branch
        self._prefix = f"{run}-"
        self.poll_s = poll_s
        self.sweep_s = sweep_s
        self._lock = threading.Lock()
        self._pending: dict[int, float] = {}  # sequence number -> reference time, oldest first
        self._latencies: list[float] = []  # since the last take()
        self.seen = 0
        self.first_seen_at: float | None = None
        self.last_seen_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="bench-visibility", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, ids: list[str], at: float) -> None:
        with self._lock:
            for event_id in ids:
                self._pending[int(event_id.removeprefix(self._prefix))] = at

    def discard(self, ids: list[str]) -> None:
        """Forget ids the API did not accept."""
        with self._lock:
            for event_id in ids:
                self._pending.pop(int(event_id.removeprefix(self._prefix)), None)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def take(self) -> list[float]:
        """Latencies of the rows seen since the previous call."""
        with self._lock:
            taken, self._latencies = self._latencies, []
        return taken

    def _poll(self) -> None:
        executor = DriverExecutor.from_url(self._settings.clickhouse_url)
        since = time.time() - CLASSIFIED_SLACK_S
        next_sweep = time.time() + self.sweep_s
        while not self._stop.is_set():
            polled_at = time.time()
            try:
                if self.pending:
                    found = visible_sequence_numbers(
                        executor, branch=self._branch, id_prefix=self._prefix, classified_from=since
                    )
                    if polled_at >= next_sweep:
                        found.extend(self._sweep(executor, polled_at))
                        next_sweep = polled_at + self.sweep_s
                    self._record(found, time.time())
                since = polled_at - CLASSIFIED_SLACK_S
            except Exception:  # a poll that fails is retried; the run must not stop for it
                log.exception("polling ClickHouse failed")
            self._stop.wait(self.poll_s)

    def _sweep(self, executor: DriverExecutor, now: float) -> list[int]:
        """Pending rows older than the slack, looked up by id (at most :data:`SWEEP_IDS`)."""
        with self._lock:
            old = [n for n, at in self._pending.items() if at < now - CLASSIFIED_SLACK_S][:SWEEP_IDS]
            received_from = self._pending[old[0]] - CLASSIFIED_SLACK_S if old else None
        if not old:
            return []
        ids = [f"{self._prefix}{n}" for n in old]
        found = visible_event_ids(executor, branch=self._branch, among=ids, received_from=received_from)
        return [int(i.removeprefix(self._prefix)) for i in found]

    def _record(self, numbers: list[int], now: float) -> None:
        with self._lock:
            for n in numbers:
                at = self._pending.pop(n, None)
                if at is not None:
                    self._latencies.append(now - at)
                    self.seen += 1
                    self.last_seen_at = now
                    if self.first_seen_at is None:
                        self.first_seen_at = now
