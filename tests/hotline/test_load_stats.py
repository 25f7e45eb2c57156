"""Latency percentiles and the RSS growth verdict of ``hotline bench soak`` (pure functions)."""

from __future__ import annotations

import random

import pytest

from hotline.bench.load_stats import RssThreshold, latency_summary, percentile, rss_growth, slope_per_10min


def test_percentile_is_nearest_rank_and_order_free() -> None:
    values = [float(v) for v in range(1, 1001)]
    random.Random(0).shuffle(values)
    assert percentile(values, 0.5) == 501.0
    assert percentile(values, 0.99) == 991.0
    assert percentile(values, 1.0) == 1000.0
    assert percentile([], 0.5) is None


def test_latency_summary_of_nothing_is_all_none() -> None:
    assert set(latency_summary([]).values()) == {None}
    one = latency_summary([0.1234])
    assert one == {
        "latency_p50_s": 0.123,
        "latency_p95_s": 0.123,
        "latency_p99_s": 0.123,
        "latency_max_s": 0.123,
    }


def test_slope_is_per_ten_minutes_and_ignores_noise_around_a_flat_line() -> None:
    rng = random.Random(1)
    noisy_flat = [(t, 500.0 + rng.uniform(-3, 3)) for t in range(0, 1800, 5)]
    assert abs(slope_per_10min(noisy_flat)) < 0.5
    assert slope_per_10min([(t, 2.0 * t / 60) for t in range(0, 600, 10)]) == pytest.approx(20.0)


def test_rss_growth_judges_the_second_half_after_warm_up() -> None:
    # Fast growth while warming up (caches filling), then flat: flat.
    warming = [(t, 100.0 + min(t, 120) / 2) for t in range(0, 1800, 5)]
    verdict = rss_growth(warming, warmup_s=60, threshold=RssThreshold())
    assert verdict["flat_rss"] is True
    assert verdict["rss_mb_max"] == 160.0 and verdict["rss_mb_last"] == 160.0
    assert verdict["growth_mb"] == 30.0  # from the first sample after the warm-up
    # A slow steady leak of 6 MB per 10 min in a small process: not flat.
    leak = [(t, 100.0 + t / 100) for t in range(0, 1800, 5)]
    assert rss_growth(leak, warmup_s=60, threshold=RssThreshold())["flat_rss"] is False


def test_rss_threshold_scales_with_large_processes() -> None:
    threshold = RssThreshold(mb_per_10min=5.0, pct_per_10min=1.0)
    assert threshold.limit(100.0) == 5.0
    assert threshold.limit(2000.0) == 20.0
    # 10 MB per 10 min in a 2 GB process is within 1%: flat; the same in a 200 MB one is not.
    big = [(t, 2000.0 + t / 60) for t in range(0, 1800, 5)]
    small = [(t, 200.0 + t / 60) for t in range(0, 1800, 5)]
    assert rss_growth(big, warmup_s=60, threshold=threshold)["flat_rss"] is True
    assert rss_growth(small, warmup_s=60, threshold=threshold)["flat_rss"] is False
    assert threshold.as_dict()["mb_per_10min"] == 5.0


def test_rss_growth_of_no_samples_says_so() -> None:
    assert rss_growth([], warmup_s=60, threshold=RssThreshold()) == {"samples": 0, "flat_rss": None}
