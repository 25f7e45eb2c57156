"""A high quantile of a score stream over a recent horizon, in constant memory.

The surge detector fires only when its score is above the level the score itself exceeds about
``budget`` times a day: that level is a quantile of past scores near 1 (e.g. 1 - 0.5/288). An
exact rolling quantile would keep two weeks of scores per series; a histogram with exponentially
decayed counts keeps a few hundred numbers, forgets at a set half-life, and serialises to JSON
(its state lives in a stream table).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["DecayedQuantile"]

#: Counts are stored scaled by a growing weight (so an update is O(1)); rescale before overflow.
_RESCALE_AT = 1e200


class DecayedQuantile:
    """The ``q``-quantile of values seen, each weighted by ``0.5 ** (age / half_life)``.

    Values are binned to ``step`` between ``low`` and ``high`` (outside values land in the end bins),
    so :meth:`get` is exact to one step.

    Examples
    --------
    >>> dq = DecayedQuantile(q=0.9, half_life=1_000, low=0.0, high=10.0, step=0.5)
    >>> dq.get() is None
    True
    >>> for value in range(10):
    ...     dq.update(float(value))
    >>> dq.get()  # the upper edge of the bin [9.0, 9.5)
    9.5
    >>> DecayedQuantile.from_dict(dq.to_dict()).get()
    9.5
    """

    def __init__(
        self, q: float, half_life: float, *, low: float = -5.0, high: float = 60.0, step: float = 0.1
    ) -> None:
        if not 0.0 < q < 1.0 or half_life <= 0 or high <= low or step <= 0:
            raise ValueError("need 0 < q < 1, half_life > 0, high > low and step > 0")
        self.q = q
        self.half_life = half_life
        self.low = low
        self.high = high
        self.step = step
        self._bins = math.floor((high - low) / step) + 1
        self._growth = 2.0 ** (1.0 / half_life)
        self._weight = 1.0
        self._total = 0.0
        self._counts: dict[int, float] = {}

    def update(self, value: float) -> None:
        """Add ``value``; everything seen before weighs a little less."""
        index = min(self._bins - 1, max(0, math.floor((value - self.low) / self.step)))
        self._weight *= self._growth
        self._counts[index] = self._counts.get(index, 0.0) + self._weight
        self._total += self._weight
        if self._weight > _RESCALE_AT:
            self._rescale()

    def get(self) -> float | None:
        """The upper edge of the bin holding the quantile, or None before any value."""
        if self._total <= 0.0:
            return None
        target = self.q * self._total
        seen = 0.0
        for index in sorted(self._counts):
            seen += self._counts[index]
            if seen >= target:
                return self.low + (index + 1) * self.step
        return self.high

    def _rescale(self) -> None:
        scale = 1.0 / self._weight
        self._counts = {i: c * scale for i, c in self._counts.items() if c * scale > 1e-12}
        self._total *= scale
        self._weight = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (bins with negligible weight are dropped)."""
        self._rescale()
        return {
            "q": self.q,
            "half_life": self.half_life,
            "low": self.low,
            "high": self.high,
            "step": self.step,
            "total": self._total,
            "counts": {str(i): c for i, c in self._counts.items()},
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> DecayedQuantile:
        dq = cls(state["q"], state["half_life"], low=state["low"], high=state["high"], step=state["step"])
        dq._total = float(state["total"])
        dq._counts = {int(i): float(c) for i, c in state["counts"].items()}
        return dq
