"""Prequential (test-then-train) accuracy per dimension over the most recent labels.

Every label a reviewer gives is first predicted by the current model, then learned: the share of
those predictions that were right, over the last ``window`` labels, is an honest running
estimate of the model's accuracy on the texts people actually check, with no held-out set.
The running figure is River's (``utils.Rolling(metrics.Accuracy())``); the outcomes are also kept
as a bit string, so the window survives a restart inside the model's metadata.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from river import metrics, utils

__all__ = ["PrequentialAccuracy", "RollingAccuracy"]


class RollingAccuracy:
    """Share of correct predictions among the last ``window`` ones.

    Examples
    --------
    >>> acc = RollingAccuracy(window=3)
    >>> for correct in (False, True, True, True):
    ...     acc.update(correct)
    >>> acc.accuracy, acc.n
    (1.0, 3)
    >>> RollingAccuracy.from_bits(acc.to_bits(), window=3).accuracy
    1.0
    """

    def __init__(self, window: int = 1000) -> None:
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = window
        self._outcomes: deque[bool] = deque(maxlen=window)
        self._metric = utils.Rolling(metrics.Accuracy, window_size=window)

    def update(self, correct: bool) -> None:
        self._outcomes.append(bool(correct))
        self._metric.update(True, bool(correct))

    @property
    def n(self) -> int:
        return len(self._outcomes)

    @property
    def accuracy(self) -> float | None:
        """None before the first prediction."""
        return float(self._metric.obj.get()) if self._outcomes else None

    def to_bits(self) -> str:
        """Oldest first, ``"1"`` for a correct prediction (compact, JSON-friendly)."""
        return "".join("1" if ok else "0" for ok in self._outcomes)

    @classmethod
    def from_bits(cls, bits: str, window: int = 1000) -> RollingAccuracy:
        restored = cls(window)
        for bit in bits[-window:]:
            restored.update(bit == "1")
        return restored


class PrequentialAccuracy:
    """Rolling accuracy and label counts of every dimension, restorable from ``to_state()``.

    Examples
    --------
    >>> tracker = PrequentialAccuracy(window=1000)
    >>> tracker.update("cause", predicted="fees_pricing", truth="fees_pricing")
    >>> tracker.update("cause", predicted=None, truth="debt_collection")
    >>> tracker.summary()
    {'cause': {'labels': 2, 'window': 2, 'accuracy': 0.5}}
    >>> PrequentialAccuracy.from_state(tracker.to_state()).summary() == tracker.summary()
    True
    """

    def __init__(self, window: int = 1000) -> None:
        self.window = window
        self._rolling: dict[str, RollingAccuracy] = {}
        self._labels: dict[str, int] = {}

    def update(self, dimension: str, *, predicted: str | None, truth: str) -> None:
        """Record one test-then-train step: the tag predicted before learning ``truth``."""
        rolling = self._rolling.setdefault(dimension, RollingAccuracy(self.window))
        rolling.update(predicted == truth)
        self._labels[dimension] = self._labels.get(dimension, 0) + 1

    def summary(self) -> dict[str, dict[str, Any]]:
        """``{dimension: {"labels": all-time count, "window": n, "accuracy": share | None}}``."""
        return {
            dim: {"labels": self._labels.get(dim, 0), "window": rolling.n, "accuracy": rolling.accuracy}
            for dim, rolling in sorted(self._rolling.items())
        }

    def to_state(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "dimensions": {
                dim: {"labels": self._labels.get(dim, 0), "bits": rolling.to_bits()}
                for dim, rolling in self._rolling.items()
            },
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], window: int | None = None) -> PrequentialAccuracy:
        """Restore (``window`` overrides the saved one, e.g. after a settings change)."""
        tracker = cls(int(window or state.get("window", 1000)))
        for dim, saved in dict(state.get("dimensions", {})).items():
            tracker._rolling[dim] = RollingAccuracy.from_bits(str(saved.get("bits", "")), tracker.window)
            tracker._labels[dim] = int(saved.get("labels", 0))
        return tracker
