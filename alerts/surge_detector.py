"""The surge detector: does a count series depart upward from its learned pattern right now?

Per bucket (a minute to a few minutes of one tag's complaint count):

1. *Forecast*: the expected count from a :class:`~alerts.seasonal_baseline.SeasonalBaseline`
   (level times daily profile).
2. *Residual score* over two spans, the latest bucket and the latest hour: the difference of the
   Anscombe transforms ``2 * sqrt(x + 3/8)`` of observed and expected totals (about unit variance
   for Poisson counts, so one score works from 0.3 to 3,000 complaints a bucket), divided by a
   robust running scale of that residual (counts are usually more variable than Poisson).
3. *Threshold*: at least ``min_score``, and at least the level the score itself exceeded about
   ``false_alarms_per_day`` times a day over the last weeks (a decayed quantile of past scores), so
   a naturally bursty series does not page anyone more often than the budget allows.
4. *Slow surges*: once an hour, the trailing-24 h total against the previous two weeks' daily totals
   (median and MAD of their logs); a day-long rise that no single hour shows still fires.

While a bucket fires, the forecast learns the expected value instead of the surge and the residual
scales learn nothing, so a long surge does not teach the detector that surges are normal. Counts are
learned clipped to 3 scales for the same reason. The detector speaks River's anomaly-detector verbs
(``learn_one``/``score_one`` on ``{"t": epoch seconds, "count": n}``) and keeps plain-number state
(:meth:`to_dict`) so a stream table can hold it. Evaluated on the NAB tweet-volume series (``hotline
models surge-eval``).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any

from river.base import AnomalyDetector
from river.base.typing import FeatureName

from alerts.decayed_quantile import DecayedQuantile
from alerts.seasonal_baseline import SeasonalBaseline

__all__ = ["SurgeDetector", "SurgeSignal", "anscombe"]

SECONDS_PER_HOUR = 3_600
HOURS_PER_DAY = 24
#: Residuals beyond this many scales are learned as if they were this far (robust statistics).
CLIP_SCALES = 3.0
#: Mean absolute deviation to standard deviation, for normal residuals.
MAD_TO_SD = 1.2533
#: Rate of the running residual scale, per bucket.
SCALE_RATE = 0.01
#: Daily totals the slow-surge check compares against (and the least it needs, a week and a day).
DAY_HISTORY = 14
DAY_HISTORY_MIN = 8
#: Same-weekday totals must also be exceeded by this factor (a rise on Monday is not a surge).
DAY_MIN_RATIO = 1.5
#: Spread floor of the log daily totals: very regular series still need a real rise.
DAY_MIN_SPREAD = 0.05


def anscombe(count: float) -> float:
    """Variance-stabilising transform of a Poisson count (variance about 1).

    Examples
    --------
    >>> round(anscombe(0), 3), round(anscombe(100), 3)
    (1.225, 20.037)
    """
    return 2.0 * math.sqrt(max(count, 0.0) + 0.375)


@dataclass(frozen=True, slots=True)
class SurgeSignal:
    """Why a bucket fired: over which span, what was observed and expected, how far out."""

    span_seconds: int
    observed: float
    expected: float
    score: float
    threshold: float


@dataclass(eq=False, repr=False, kw_only=True)  # River's repr and identity equality
class SurgeDetector(AnomalyDetector):
    """Upward departures of one count series (see the module docstring).

    Parameters
    ----------
    bucket_seconds
        Length of one bucket (60 for per-minute counts).
    false_alarms_per_day
        The budget: how often a normal day may exceed the threshold.
    min_score
        The threshold never goes below this residual score.
    warmup_days
        Days of history before the detector may fire.
    day_score
        Robust z of the trailing-24 h total (log scale) that fires on its own.

    Examples
    --------
    >>> import random
    >>> rng, det, fired = random.Random(1), SurgeDetector(bucket_seconds=300), []
    >>> for k in range(288 * 4):                       # four quiet days, ~20 a bucket
    ...     fired += [det.update(k * 300.0, rng.gauss(20, 4))]
    >>> sum(s is not None for s in fired[288 * 2:])     # nothing after the warm-up
    0
    >>> signal = det.update(288 * 4 * 300.0, 90)        # then 90 in one bucket
    >>> signal.span_seconds, signal.observed, 15 < signal.expected < 25
    (300, 90.0, True)
    """

    # The hyperparameters, stored under their own names (River's convention: ``clone``, ``to_dict``).
    bucket_seconds: int
    false_alarms_per_day: float = 0.5
    min_score: float = 3.5
    warmup_days: float = 2.0
    day_score: float = 3.5
    quantile_half_life_days: float = 7.0

    def __post_init__(self) -> None:
        bucket_seconds = self.bucket_seconds
        if bucket_seconds <= 0 or bucket_seconds > SECONDS_PER_HOUR or SECONDS_PER_HOUR % bucket_seconds:
            raise ValueError("bucket_seconds must divide an hour")
        per_day = 86_400 // bucket_seconds
        self.baseline = SeasonalBaseline(bucket_seconds=bucket_seconds)
        self.spans = (1, SECONDS_PER_HOUR // bucket_seconds)
        self.scales = {span: 1.0 for span in self.spans}
        self.recent: deque[tuple[float, float]] = deque(maxlen=max(self.spans))  # (observed, expected)
        self.quantile = DecayedQuantile(
            q=1.0 - self.false_alarms_per_day / per_day, half_life=self.quantile_half_life_days * per_day
        )
        self.hours: deque[float] = deque(maxlen=(DAY_HISTORY + 1) * HOURS_PER_DAY)
        self.hour: int | None = None
        self.hour_total = 0.0
        self.seen = 0
        self.firing = False
        self.warmup = int(self.warmup_days * per_day)

    # -- River verbs --------------------------------------------------------------------------------
    def score_one(self, x: dict[FeatureName, Any]) -> float:
        """The residual score of ``x["count"]`` at ``x["t"]`` (no learning)."""
        return self._score(x["t"], x["count"])[0]

    def learn_one(self, x: dict[FeatureName, Any]) -> None:
        """Learn ``x`` (what :meth:`update` does, without telling whether it fired)."""
        self.update(x["t"], x["count"])

    # -- the detector -------------------------------------------------------------------------------
    def update(self, ts: float, count: float) -> SurgeSignal | None:
        """Score the bucket starting at ``ts`` with ``count``, learn it, and say if it is a surge."""
        count = float(count)
        score, span, observed, expected, residuals = self._score(ts, count)
        threshold = max(self.min_score, self.quantile.get() or 0.0)
        warm = self.seen >= self.warmup
        signal = None
        if warm and score >= threshold:
            signal = SurgeSignal(span * self.bucket_seconds, observed, expected, round(score, 2), threshold)
        # The budget counts episodes: the buckets after the first of a run of firing ones do not
        # raise the threshold (or a long surge would soon stop firing).
        # Warm-up scores (an unlearned forecast) say nothing about the series' normal tail.
        if warm:
            self.quantile.update(min(score, threshold - self.quantile.step) if self.firing else score)
        self.firing = signal is not None
        self.recent.append((count, self.baseline.expected(ts)))
        for span, residual in residuals.items() if signal is None else ():
            scale = max(self.scales[span], 1.0)
            clipped = max(-CLIP_SCALES * scale, min(residual, CLIP_SCALES * scale))
            self.scales[span] += SCALE_RATE * (abs(clipped) * MAD_TO_SD - self.scales[span])
        self.baseline.learn(ts, self._learnable(ts, count, surging=signal is not None))
        day_signal = self._close_hour(ts, count)
        self.seen += 1
        if signal is None and warm and day_signal is not None:
            signal = day_signal
        return signal

    def _score(self, ts: float, count: float) -> tuple[float, int, float, float, dict[int, float]]:
        """Best score over the spans, with its span, observed and expected totals, and every residual."""
        mu = self.baseline.expected(ts)
        best = (-math.inf, 1, count, mu)
        residuals: dict[int, float] = {}
        history = list(self.recent)
        for span in self.spans:
            if len(history) + 1 < span:
                continue
            window = history[len(history) - span + 1 :] if span > 1 else []
            observed = count + sum(o for o, _ in window)
            expected = mu + sum(e for _, e in window)
            residual = anscombe(observed) - anscombe(expected)
            residuals[span] = residual
            score = residual / max(self.scales[span], 1.0)
            if score > best[0]:
                best = (score, span, observed, expected)
        return best[0], best[1], best[2], round(best[3], 2), residuals

    def _learnable(self, ts: float, count: float, *, surging: bool) -> float:
        """The count the forecast learns: the expected one while surging, else clipped to 3 scales."""
        mu = self.baseline.expected(ts)
        if surging or self.baseline.level is None:
            return mu if self.baseline.level is not None else count
        scale = max(self.scales[1], 1.0)
        residual = max(-CLIP_SCALES * scale, min(anscombe(count) - anscombe(mu), CLIP_SCALES * scale))
        return max(0.0, (anscombe(mu) + residual) ** 2 / 4.0 - 0.375)

    def _close_hour(self, ts: float, count: float) -> SurgeSignal | None:
        """Add to the hourly totals; at each new hour, check the trailing day against past days."""
        hour = int(ts // SECONDS_PER_HOUR)
        signal = None
        if self.hour is not None and hour != self.hour:
            self.hours.append(self.hour_total)
            self.hour_total = 0.0
            signal = self._day_surge()
        self.hour = hour
        self.hour_total += count
        return signal

    def _day_surge(self) -> SurgeSignal | None:
        hours = list(self.hours)
        days = len(hours) // HOURS_PER_DAY - 1
        if days < DAY_HISTORY_MIN:
            return None
        current = sum(hours[-HOURS_PER_DAY:])
        past = [
            sum(hours[len(hours) - HOURS_PER_DAY * (d + 1) : len(hours) - HOURS_PER_DAY * d])
            for d in range(1, days + 1)
        ]
        logs = [math.log1p(total) for total in past]
        centre = statistics.median(logs)
        spread = max(DAY_MIN_SPREAD, statistics.median(abs(v - centre) for v in logs) * 1.4826)
        z = (math.log1p(current) - centre) / spread
        same_weekday = [past[d - 1] for d in (7, 14) if d <= len(past)]
        if z < self.day_score or any((current + 1) / (t + 1) < DAY_MIN_RATIO for t in same_weekday):
            return None
        return SurgeSignal(
            HOURS_PER_DAY * SECONDS_PER_HOUR,
            current,
            round(math.expm1(centre), 2),
            round(z, 2),
            self.day_score,
        )

    # -- state --------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state: parameters and everything learned."""
        return {
            "params": self._get_params(),
            "baseline": self.baseline.to_dict(),
            "scales": {str(k): v for k, v in self.scales.items()},
            "recent": list(self.recent),
            "quantile": self.quantile.to_dict(),
            "hours": list(self.hours),
            "hour": self.hour,
            "hour_total": self.hour_total,
            "seen": self.seen,
            "firing": self.firing,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SurgeDetector:
        det = cls(**state["params"])
        det.baseline = SeasonalBaseline.from_dict(state["baseline"])
        det.scales = {int(k): float(v) for k, v in state["scales"].items()}
        det.recent.extend((float(o), float(e)) for o, e in state["recent"])
        det.quantile = DecayedQuantile.from_dict(state["quantile"])
        det.hours.extend(float(h) for h in state["hours"])
        det.hour = state["hour"]
        det.hour_total = float(state["hour_total"])
        det.seen = int(state["seen"])
        det.firing = bool(state.get("firing", False))
        return det
