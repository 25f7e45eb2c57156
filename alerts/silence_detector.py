"""The silence detector: a channel or line that normally has traffic has gone quiet.

An intake outage (a web form that stopped posting, a dead queue, a broken connector) shows as zero
complaints where the learned pattern (:class:`~alerts.seasonal_baseline.SeasonalBaseline`) expects
plenty. The detector fires when the last ``quiet_seconds`` held no complaint at all while at least
``min_expected`` were expected: with Poisson traffic that happens by chance with probability
``exp(-min_expected)`` (under 1 in 20,000 for the default 10). While silent, the forecast does not
learn the zeros, so a long outage stays visible instead of becoming the new normal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from alerts.seasonal_baseline import SeasonalBaseline

__all__ = ["SilenceDetector", "SilenceSignal"]


@dataclass(frozen=True, slots=True)
class SilenceSignal:
    quiet_seconds: int
    expected: float


class SilenceDetector:
    """Fires on ``quiet_seconds`` without traffic where ``min_expected`` complaints were expected.

    Examples
    --------
    >>> det = SilenceDetector(bucket_seconds=60, quiet_seconds=600, min_expected=10, warmup_days=1)
    >>> fired = [det.update(k * 60.0, 3) for k in range(1440 * 2)]   # two days, 3 a minute
    >>> any(fired)
    False
    >>> quiet = [det.update((2880 + k) * 60.0, 0) for k in range(12)]
    >>> [k for k, s in enumerate(quiet) if s is not None][:1]    # the 10th quiet minute
    [9]
    >>> 25 < quiet[9].expected < 35
    True
    """

    def __init__(
        self,
        *,
        bucket_seconds: int,
        quiet_seconds: int = 900,
        min_expected: float = 10.0,
        warmup_days: float = 1.0,
    ) -> None:
        if bucket_seconds <= 0 or quiet_seconds < bucket_seconds:
            raise ValueError("need bucket_seconds > 0 and quiet_seconds >= bucket_seconds")
        self.bucket_seconds = bucket_seconds
        self.quiet_seconds = quiet_seconds
        self.min_expected = min_expected
        self.warmup_days = warmup_days
        self.baseline = SeasonalBaseline(bucket_seconds=bucket_seconds)
        self.recent: deque[tuple[float, float]] = deque(maxlen=quiet_seconds // bucket_seconds)
        self.seen = 0
        self.warmup = int(warmup_days * 86_400 / bucket_seconds)

    def update(self, ts: float, count: float) -> SilenceSignal | None:
        """Take the bucket starting at ``ts``; a signal when the series has gone quiet."""
        mu = self.baseline.expected(ts)
        self.recent.append((float(count), mu))
        observed = sum(o for o, _ in self.recent)
        expected = sum(e for _, e in self.recent)
        silent = len(self.recent) == self.recent.maxlen and observed == 0 and expected >= self.min_expected
        # Zeros in the middle of an outage are not learned: keep expecting the usual traffic.
        self.baseline.learn(ts, mu if observed == 0 and expected >= self.min_expected else float(count))
        warm = self.seen >= self.warmup
        self.seen += 1
        return SilenceSignal(self.quiet_seconds, round(expected, 2)) if warm and silent else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": {
                "bucket_seconds": self.bucket_seconds,
                "quiet_seconds": self.quiet_seconds,
                "min_expected": self.min_expected,
                "warmup_days": self.warmup_days,
            },
            "baseline": self.baseline.to_dict(),
            "recent": list(self.recent),
            "seen": self.seen,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SilenceDetector:
        det = cls(**state["params"])
        det.baseline = SeasonalBaseline.from_dict(state["baseline"])
        det.recent.extend((float(o), float(e)) for o, e in state["recent"])
        det.seen = int(state["seen"])
        return det
