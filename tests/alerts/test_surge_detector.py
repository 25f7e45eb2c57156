"""Surge and silence detectors on simulated traffic with a controllable clock (days in seconds)."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from alerts import SilenceDetector, SurgeDetector, alert_times

DAY = 86_400


def daily_rate(ts: float, mean: float) -> float:
    """A working-day shape: quiet at 03:00 UTC, busiest at 15:00 (between 0.3x and 1.7x the mean)."""
    return mean * (1.0 + 0.7 * math.sin(2 * math.pi * ((ts % DAY) / DAY - 0.375)))


def steady(days: float, bucket: int, mean: float, seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    ts = [k * bucket for k in range(int(days * DAY / bucket))]
    return ts, [float(rng.poisson(daily_rate(t, mean))) for t in ts]


@pytest.mark.parametrize(
    ("bucket", "mean", "budget", "seed"), [(300, 25.0, 0.5, 1), (60, 3.0, 0.5, 2), (300, 1.0, 0.2, 3)]
)
def test_steady_traffic_stays_within_the_false_alarm_budget(
    bucket: int, mean: float, budget: float, seed: int
) -> None:
    ts, counts = steady(9, bucket, mean, seed)
    fired = alert_times(
        ts, counts, bucket_seconds=bucket, cooldown_seconds=3 * 3600, false_alarms_per_day=budget
    )
    watched_days = 9 - 2  # the default warm-up is two days
    assert len(fired) <= budget * watched_days, fired


@pytest.mark.parametrize(
    ("bucket", "mean", "factor", "hour"),
    [(300, 25.0, 3.0, 15), (300, 25.0, 4.0, 3), (60, 4.0, 4.0, 11), (300, 2.0, 6.0, 20), (60, 30.0, 2.0, 14)],
)
def test_injected_surge_fires_within_two_buckets(bucket: int, mean: float, factor: float, hour: int) -> None:
    rng = np.random.default_rng(hour)
    det = SurgeDetector(bucket_seconds=bucket)
    # Four steady days, then the surge at `hour`:00 on the fifth (day and night alike).
    start = 4 * DAY + hour * 3600
    for t in range(0, start, bucket):
        det.update(t, float(rng.poisson(daily_rate(t, mean))))
    fired_after = None
    for k in range(10):
        t = start + k * bucket
        signal = det.update(t, float(rng.poisson(daily_rate(t, mean) * factor)))
        if signal is not None:
            fired_after = k
            assert signal.observed > signal.expected
            break
    assert fired_after is not None and fired_after < 2, fired_after


def test_a_long_surge_is_not_learned_as_normal() -> None:
    ts, counts = steady(4, 300, 20.0, seed=5)
    det = SurgeDetector(bucket_seconds=300)
    for t, c in zip(ts, counts, strict=True):
        det.update(t, c)
    t0 = ts[-1] + 300
    signals = [det.update(t0 + k * 300, 3 * daily_rate(t0 + k * 300, 20.0)) for k in range(36)]  # 3 hours
    assert signals[0] is not None and signals[-1] is not None
    # The forecast did not follow the surge: still the usual volume of the span that fired.
    last = signals[-1]
    usual = sum(daily_rate(t0 + (35 - k) * 300, 20.0) for k in range(last.span_seconds // 300))
    assert last.expected < 1.5 * usual


def test_state_round_trips_through_json_mid_stream() -> None:
    ts, counts = steady(3, 300, 10.0, seed=7)
    a = SurgeDetector(bucket_seconds=300)
    for t, c in zip(ts[:500], counts[:500], strict=True):
        a.update(t, c)
    b = SurgeDetector.from_dict(orjson.loads(orjson.dumps(a.to_dict())))
    tail = [*list(zip(ts[500:], counts[500:], strict=True)), (ts[-1] + 300, 200.0)]
    assert [a.update(t, c) for t, c in tail] == [b.update(t, c) for t, c in tail]


def test_river_verbs() -> None:
    det = SurgeDetector(bucket_seconds=300)
    for k in range(50):
        det.learn_one({"t": k * 300.0, "count": 10.0})
    assert det.score_one({"t": 50 * 300.0, "count": 60.0}) > det.score_one({"t": 50 * 300.0, "count": 10.0})


def test_silence_fires_on_an_outage_and_not_on_a_quiet_night() -> None:
    bucket = 60
    ts, counts = steady(2, bucket, 2.0, seed=11)  # nights are quiet: about 0.6 a minute
    det = SilenceDetector(bucket_seconds=bucket, quiet_seconds=900, min_expected=10, warmup_days=1)
    fired = [t for t, c in zip(ts, counts, strict=True) if det.update(t, c) is not None]
    assert fired == []
    # An outage at 15:00 the next day: 15 quiet minutes (about 50 expected) fire, on the 15th.
    start = 2 * DAY + 15 * 3600
    for t in range(ts[-1] + bucket, start, bucket):
        det.update(t, float(np.random.default_rng(t).poisson(daily_rate(t, 2.0))))
    outage = [det.update(start + k * bucket, 0) for k in range(20)]
    assert next(k for k, s in enumerate(outage) if s is not None) == 14
    signal = next(s for s in outage if s is not None)
    assert signal.expected >= 10
    # Traffic comes back: quiet again.
    back = [det.update(start + (20 + k) * bucket, 3) for k in range(5)]
    assert back == [None] * 5
    round_trip = SilenceDetector.from_dict(orjson.loads(orjson.dumps(det.to_dict())))
    assert round_trip.update(start + 30 * bucket, 3) is None
