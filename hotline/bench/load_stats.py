"""Pure statistics of load benchmarks: latency percentiles and whether a process's memory grows.

A process that leaks shows as RSS that keeps rising once the caches and pools have filled, so growth is
judged after a warm-up and on the trend of the second half of the run (least-squares slope), not on
first-versus-last, which one garbage collection or one batch in flight can swing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import numpy

__all__ = ["MIN_JUDGED_S", "RssThreshold", "latency_summary", "percentile", "rss_growth", "slope_per_10min"]

_TEN_MINUTES_S = 600.0
#: Shortest second half whose RSS trend is judged.
MIN_JUDGED_S = 100.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, an observed value (numpy's ``higher`` method: a p99
    is a latency some request really had); None when there are none.

    Examples
    --------
    >>> percentile([3.0, 1.0, 2.0, 4.0], 0.5), percentile([3.0, 1.0, 2.0, 4.0], 0.99), percentile([], 0.5)
    (3.0, 4.0, None)
    """
    if not len(values):
        return None
    return float(numpy.percentile(values, q * 100, method="higher"))


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of latencies in seconds, rounded to the millisecond (None when empty).

    Examples
    --------
    >>> latency_summary([0.1 * i for i in range(1, 101)])
    {'latency_p50_s': 5.1, 'latency_p95_s': 9.6, 'latency_p99_s': 10.0, 'latency_max_s': 10.0}
    """
    ordered = sorted(values)

    def rounded(q: float) -> float | None:
        value = percentile(ordered, q)
        return None if value is None else round(value, 3)

    return {
        "latency_p50_s": rounded(0.5),
        "latency_p95_s": rounded(0.95),
        "latency_p99_s": rounded(0.99),
        "latency_max_s": round(ordered[-1], 3) if ordered else None,
    }


def slope_per_10min(samples: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of ``(seconds, value)`` samples, per 10 minutes (None under 3 samples).

    Examples
    --------
    >>> slope_per_10min([(0, 100.0), (60, 101.0), (120, 102.0), (180, 103.0)])
    10.0
    >>> slope_per_10min([(0, 100.0), (60, 100.0)]) is None
    True
    """
    if len(samples) < 3 or len({t for t, _ in samples}) < 2:
        return None
    slope, _ = statistics.linear_regression([t for t, _ in samples], [v for _, v in samples])
    return slope * _TEN_MINUTES_S


class RssThreshold:
    """RSS counts as flat while its trend stays under ``mb_per_10min`` or ``pct_per_10min`` of its
    median, whichever is larger (a big process's allocator moves more MB in normal operation)."""

    def __init__(self, mb_per_10min: float = 5.0, pct_per_10min: float = 1.0) -> None:
        self.mb_per_10min = mb_per_10min
        self.pct_per_10min = pct_per_10min

    def limit(self, median_mb: float) -> float:
        """Largest trend (MB per 10 min) still flat for a process of ``median_mb``."""
        return max(self.mb_per_10min, self.pct_per_10min / 100 * median_mb)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": "slope of RSS over the second half of the run after warm-up <= max(mb, pct of median)",
            "mb_per_10min": self.mb_per_10min,
            "pct_per_10min": self.pct_per_10min,
        }


def rss_growth(
    samples: Sequence[tuple[float, float]],
    *,
    warmup_s: float,
    threshold: RssThreshold,
    min_judged_s: float = MIN_JUDGED_S,
) -> dict[str, Any]:
    """First/last/max RSS, growth after warm-up (MB and %), the second half's trend and a verdict.

    ``samples`` are ``(seconds since start, MB)``; those before ``warmup_s`` only count for the max.
    ``flat_rss`` (and the slope) is None when the second half spans less than ``min_judged_s``: a
    trend of seconds says nothing about minutes.

    Examples
    --------
    >>> leak = [(t, 100.0 + t / 60) for t in range(0, 1800, 30)]
    >>> g = rss_growth(leak, warmup_s=60, threshold=RssThreshold())
    >>> g["slope_mb_per_10min"], g["flat_rss"], g["growth_mb"]
    (10.0, False, 28.5)
    >>> rss_growth([(t, 100.0) for t in range(0, 600, 30)], warmup_s=60, threshold=RssThreshold())["flat_rss"]
    True
    >>> short = rss_growth([(t, 100.0 + t) for t in range(0, 60, 5)], warmup_s=10, threshold=RssThreshold())
    >>> short["flat_rss"] is None, short["growth_mb"]
    (True, 45.0)
    """
    if not samples:
        return {"samples": 0, "flat_rss": None}
    settled = [(t, v) for t, v in samples if t >= warmup_s] or list(samples)
    first, last = settled[0][1], settled[-1][1]
    middle = settled[0][0] + (settled[-1][0] - settled[0][0]) / 2
    judged = [(t, v) for t, v in settled if t >= middle]
    judged_s = judged[-1][0] - judged[0][0]
    slope = slope_per_10min(judged) if judged_s >= min_judged_s else None
    median = statistics.median(v for _, v in settled)
    limit = threshold.limit(median)
    return {
        "samples": len(samples),
        "rss_mb_first": round(first, 1),
        "rss_mb_last": round(last, 1),
        "rss_mb_max": round(max(v for _, v in samples), 1),
        "growth_mb": round(last - first, 1),
        "growth_pct": round(100 * (last - first) / first, 1) if first else None,
        "judged_s": round(judged_s, 1),
        "slope_mb_per_10min": None if slope is None else round(slope, 2),
        "flat_limit_mb_per_10min": round(limit, 2),
        "flat_rss": None if slope is None else slope <= limit,
    }
