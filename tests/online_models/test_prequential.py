"""Rolling prequential accuracy: exact over the last N labels, restorable after a restart."""

from __future__ import annotations

import random

import pytest

from online_models import PrequentialAccuracy, RollingAccuracy


def test_rolling_accuracy_matches_a_recount_of_the_window() -> None:
    rng = random.Random(3)
    outcomes = [rng.random() < 0.7 for _ in range(2500)]
    rolling = RollingAccuracy(window=1000)
    for i, ok in enumerate(outcomes, start=1):
        rolling.update(ok)
        if i % 250 == 0:
            window = outcomes[max(0, i - 1000) : i]
            assert rolling.n == len(window)
            assert rolling.accuracy == pytest.approx(sum(window) / len(window))
    assert RollingAccuracy(10).accuracy is None


def test_state_survives_a_restart_and_a_smaller_window() -> None:
    tracker = PrequentialAccuracy(window=1000)
    for i in range(1500):
        tracker.update("cause", predicted="a" if i % 4 else "b", truth="a")
    tracker.update("product", predicted=None, truth="credit_card")
    summary = tracker.summary()
    assert summary["cause"] == {"labels": 1500, "window": 1000, "accuracy": pytest.approx(0.75)}
    assert summary["product"] == {"labels": 1, "window": 1, "accuracy": 0.0}
    restored = PrequentialAccuracy.from_state(tracker.to_state())
    assert restored.summary() == summary
    smaller = PrequentialAccuracy.from_state(tracker.to_state(), window=100)
    assert smaller.summary()["cause"]["window"] == 100
    assert smaller.summary()["cause"]["labels"] == 1500
