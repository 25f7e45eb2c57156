"""The worker's garbage-collection timer counts every collection's time, per generation."""

from __future__ import annotations

import gc
import itertools

from streams.worker_metrics import GC_SECONDS, time_garbage_collections


def _seconds(generation: int) -> float:
    return GC_SECONDS.labels(generation=str(generation))._value.get()


def test_collections_are_timed_once_per_process() -> None:
    time_garbage_collections()
    time_garbage_collections()  # a second call adds no second callback
    before = _seconds(2)
    garbage = [[] for _ in range(50_000)]
    for a, b in itertools.pairwise(garbage):
        a.append(b)
        b.append(a)  # cycles: only the collector frees them
    del garbage, a, b
    gc.collect()
    assert _seconds(2) > before
    assert sum(1 for callback in gc.callbacks if callback.__name__ == "_on_gc") == 1
