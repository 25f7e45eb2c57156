"""The volume a series is expected to have now: a level times a daily profile, learned online.

Complaint volume per tag or channel follows the day (quiet at night, busy late morning) around a
level that drifts. The expected count of a bucket is ``level * profile(time of day)``, the profile
kept in slots (15 min by default) and interpolated between slot centres so that neighbouring
buckets share what they learn. Both are exponentially weighted averages: ``level_rate`` per
bucket, ``profile_rate`` per day for each slot. The surge and silence detectors forecast with it.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SeasonalBaseline"]

SECONDS_PER_DAY = 86_400
#: Floor of an expected count (and of a profile factor): a series with no traffic yet expects ~0.
MIN_EXPECTED = 0.02


class SeasonalBaseline:
    """Expected count per bucket of ``bucket_seconds``.

    Examples
    --------
    >>> b = SeasonalBaseline(bucket_seconds=300)
    >>> for day in range(3):  # busy afternoons (12:00-24:00 UTC), quiet mornings
    ...     for k in range(288):
    ...         b.learn(day * 86_400 + k * 300, 20.0 if k >= 144 else 2.0)
    >>> round(b.expected(3 * 86_400 + 18 * 3600)), round(b.expected(3 * 86_400 + 6 * 3600))
    (20, 2)
    """

    def __init__(
        self,
        *,
        bucket_seconds: int,
        slot_seconds: int = 900,
        level_rate: float = 0.02,
        profile_rate: float = 0.1,
    ) -> None:
        if bucket_seconds <= 0 or SECONDS_PER_DAY % slot_seconds:
            raise ValueError("bucket_seconds must be > 0 and slot_seconds must divide a day")
        self.bucket_seconds = bucket_seconds
        self.slot_seconds = slot_seconds
        self.level_rate = level_rate
        self.profile_rate = profile_rate
        self.level: float | None = None
        self.profile: list[float | None] = [None] * (SECONDS_PER_DAY // slot_seconds)

    def factor(self, ts: float) -> float:
        """The daily profile at ``ts`` (1.0 where nothing was learned yet)."""
        position = (ts % SECONDS_PER_DAY) / self.slot_seconds - 0.5
        left = math.floor(position)
        weight = position - left
        a = self.profile[left % len(self.profile)]
        b = self.profile[(left + 1) % len(self.profile)]
        a = 1.0 if a is None else a
        b = a if b is None else b
        return max(MIN_EXPECTED, a * (1.0 - weight) + b * weight)

    def expected(self, ts: float) -> float:
        """Expected count of the bucket starting at ``ts``."""
        if self.level is None:
            return MIN_EXPECTED
        return max(MIN_EXPECTED, self.level * self.factor(ts))

    def learn(self, ts: float, count: float) -> None:
        """Take the bucket at ``ts`` as normal traffic (callers pass a clipped count during surges)."""
        if self.level is None:
            self.level = max(count, 0.5)
        factor = self.factor(ts)
        self.level = max(0.01, self.level + self.level_rate * (count / factor - self.level))
        slot = int((ts % SECONDS_PER_DAY) // self.slot_seconds)
        ratio = count / max(self.level, 0.01)
        current = self.profile[slot]
        # A slot sees slot_seconds / bucket_seconds buckets a day: spread the daily rate over them.
        rate = self.profile_rate * self.bucket_seconds / self.slot_seconds
        self.profile[slot] = ratio if current is None else current + min(1.0, rate) * (ratio - current)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket_seconds": self.bucket_seconds,
            "slot_seconds": self.slot_seconds,
            "level_rate": self.level_rate,
            "profile_rate": self.profile_rate,
            "level": self.level,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SeasonalBaseline:
        baseline = cls(
            bucket_seconds=state["bucket_seconds"],
            slot_seconds=state["slot_seconds"],
            level_rate=state["level_rate"],
            profile_rate=state["profile_rate"],
        )
        baseline.level = state["level"]
        baseline.profile = list(state["profile"])
        return baseline
