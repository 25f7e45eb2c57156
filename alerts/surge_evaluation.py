"""Score the surge detector on a labelled count series: windows hit, false alarms per day, delay.

The series is streamed through :class:`~alerts.surge_detector.SurgeDetector` exactly as the surge
rule does, and alarms are merged like alerts are: a firing within ``cooldown_seconds`` of the
series' previous firing is a repeat of the same alert, not a new one (see
:func:`alerts.lifecycle.merge_repeat`). Then, as in the NAB benchmark the windows come from, an
alert anywhere inside a labelled window is a hit, every alert outside all windows a false alarm,
and the delay is from a window's start to its first alert.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from alerts.surge_detector import SurgeDetector

__all__ = ["SurgeEvaluation", "alert_times", "evaluate_surges"]

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SurgeEvaluation:
    windows_hit: int
    windows_total: int
    alerts: int
    false_alarms: int
    days: float
    median_delay_s: float | None
    alert_times: tuple[float, ...] = field(repr=False)

    @property
    def false_alarms_per_day(self) -> float:
        return self.false_alarms / self.days if self.days > 0 else 0.0


def alert_times(
    timestamps: Sequence[float],
    counts: Sequence[float],
    *,
    bucket_seconds: int,
    cooldown_seconds: float,
    **detector: float,
) -> list[float]:
    """Bucket starts at which a new surge alert fires (repeats within the cooldown merged).

    Examples
    --------
    >>> ts = [k * 300.0 for k in range(288 * 3)]
    >>> counts = [10.0] * len(ts)
    >>> counts[700] = counts[701] = counts[705] = 80.0      # one surge, three firing buckets
    >>> alert_times(ts, counts, bucket_seconds=300, cooldown_seconds=3600)
    [210000.0]
    """
    det = SurgeDetector(bucket_seconds=bucket_seconds, **detector)
    alerts: list[float] = []
    last: float | None = None
    for ts, count in zip(timestamps, counts, strict=True):
        if det.update(ts, count) is None:
            continue
        if last is None or ts - last >= cooldown_seconds:
            alerts.append(ts)
        last = ts
    return alerts


def evaluate_surges(
    timestamps: Sequence[float],
    counts: Sequence[float],
    windows: Sequence[tuple[float, float]],
    *,
    bucket_seconds: int,
    cooldown_seconds: float,
    **detector: float,
) -> SurgeEvaluation:
    """Hits, false alarms and delays of the detector on one labelled series."""
    fired = alert_times(
        timestamps, counts, bucket_seconds=bucket_seconds, cooldown_seconds=cooldown_seconds, **detector
    )
    delays = []
    hit = 0
    for start, end in windows:
        inside = [t for t in fired if start <= t <= end]
        if inside:
            hit += 1
            delays.append(inside[0] - start)
    false_alarms = sum(1 for t in fired if not any(start <= t <= end for start, end in windows))
    days = (timestamps[-1] - timestamps[0] + bucket_seconds) / SECONDS_PER_DAY if timestamps else 0.0
    return SurgeEvaluation(
        windows_hit=hit,
        windows_total=len(windows),
        alerts=len(fired),
        false_alarms=false_alarms,
        days=days,
        median_delay_s=statistics.median(delays) if delays else None,
        alert_times=tuple(fired),
    )
