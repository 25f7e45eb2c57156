"""A small pool of ClickHouse executors for request handlers (executors are one-per-thread).

The API runs queries in worker threads; each borrows an executor for one call and gives it back,
so concurrent dashboard requests neither share a connection nor open one per request. An executor
that raised is closed rather than returned: its connection may be half-way through a reply.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["ExecutorPool"]

log = logging.getLogger(__name__)

R = TypeVar("R")


class ExecutorPool:
    """At most ``size`` executors made by ``connect``, lent one call at a time."""

    def __init__(self, connect: Callable[[], ClickHouseExecutor], size: int = 4) -> None:
        if size < 1:
            raise ValueError("pool size must be >= 1")
        self.connect = connect
        self.size = size
        self._idle: queue.LifoQueue[ClickHouseExecutor] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    def run(self, fn: Callable[..., R], *args: object, **kwargs: object) -> R:
        """``fn(executor, *args, **kwargs)`` with a borrowed executor (blocks while all are lent)."""
        if self._closed:
            raise RuntimeError("the executor pool is closed")
        with self._slots:
            try:
                executor = self._idle.get_nowait()
            except queue.Empty:
                executor = self.connect()
            try:
                result = fn(executor, *args, **kwargs)
            except BaseException:
                self._discard(executor)
                raise
            if self._closed:
                self._discard(executor)
            else:
                self._idle.put(executor)
            return result

    def close(self) -> None:
        """Close the idle executors; lent ones are closed when they come back."""
        self._closed = True
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                return

    @staticmethod
    def _discard(executor: ClickHouseExecutor) -> None:
        try:
            executor.close()
        except Exception:
            log.debug("closing %r failed", executor, exc_info=True)
