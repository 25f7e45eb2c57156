"""The demo's simulated traffic: a surge within the first minute, big enough to cross the demo rules."""

from __future__ import annotations

from collections import Counter

from hotline.simulator import TrafficModel

TEXTS = {f"cat_{i}": [f"text {i}"] for i in range(76)} | {"card_arrival": ["where is my card"]}


def test_first_surge_comes_within_a_minute_on_card_arrival() -> None:
    model = TrafficModel(TEXTS, rate=5.0)
    assert model.surge_category(model.first_surge_s - 1) is None
    assert model.surge_category(model.first_surge_s) == "card_arrival"
    assert model.first_surge_s + model.surge_s < 90
    later = {model.surge_category(model.first_surge_s + k * model.surge_every_s + 1) for k in range(1, 6)}
    assert None not in later and len(later) > 1  # later surges move to other topics


def test_a_surge_minute_crosses_the_demo_thresholds_and_a_quiet_one_does_not() -> None:
    """config/rules.yaml: card_arrival >= 20 a minute (warning), any tag >= 50 a minute (info)."""
    model = TrafficModel(TEXTS, rate=5.0)

    def minute_counts(start: float) -> Counter[str]:
        counts: Counter[str] = Counter()
        t = start
        while t < start + 60:
            text = model.complaint(t)["text"]
            counts[next(k for k, v in TEXTS.items() if v[0] == text)] += 1
            t += model.gap_s(t)
        return counts

    surge = minute_counts(model.first_surge_s)
    assert surge["card_arrival"] >= 50
    quiet = minute_counts(model.first_surge_s + model.surge_s + 5)
    assert max(quiet.values()) < 20
