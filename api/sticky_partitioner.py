"""Keep each produce batch of complaints in one partition.

Complaints need no per-key order (each id is one record, and every consumer dedups by id), so the
API places them by time, not by key hash: records within ``hold_s`` of each other go to the same
partition, then the next partition takes over (Kafka's sticky partitioning, applied to keyed
records). Batches stay whole instead of splitting across partitions: fewer, larger produce
requests on any broker, and on Tansu, which stores each batch as one object that every later read
of its partition scans, far fewer objects per partition (docs/benchmarks.md, "Soak").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

__all__ = ["StickyPartitioner"]


class StickyPartitioner:
    """An aiokafka partitioner that moves to the next partition every ``hold_s`` seconds.

    Examples
    --------
    >>> clock = iter([0.0, 0.01, 0.06, 0.07, 0.2, 0.3]).__next__
    >>> choose = StickyPartitioner(hold_s=0.05, clock=clock)
    >>> [choose(b"id", [0, 1, 2], [0, 1, 2]) for _ in range(5)]
    [0, 0, 1, 1, 2]
    >>> choose(b"id", [0, 1, 2], [])  # no leader known anywhere: still one of all partitions
    0
    """

    def __init__(self, *, hold_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.hold_s = hold_s
        self._clock = clock
        self._since = float("-inf")
        self._turn = -1
        self._current: int | None = None

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        now = self._clock()
        if self._current is None or now - self._since >= self.hold_s or self._current not in all_partitions:
            candidates = sorted(available) or sorted(all_partitions)
            self._turn = (self._turn + 1) % len(candidates)
            self._current = candidates[self._turn]
            self._since = now
        return self._current
