"""Sliding windows: each complaint counts in every window that holds it; crossings are repeats."""

from __future__ import annotations

from alerts import count_batch, evaluate_crossing, merge_repeat, sliding_window_starts
from tests.alerts.conftest import ComplaintFactory, RuleFactory


def test_a_burst_across_a_tumbling_boundary_is_seen_whole(
    make_rule: RuleFactory, make_complaint: ComplaintFactory
) -> None:
    tumbling = make_rule(window_seconds=600, threshold=6)
    sliding = make_rule(window="sliding", window_seconds=600, hop_seconds=60, threshold=6)
    # Six complaints in four minutes, straddling 12:00 (a tumbling boundary).
    burst = [make_complaint(event_time=1_200 * 60 - 120 + 40 * k) for k in range(6)]
    assert max(c.count for c in count_batch([tumbling], burst).values()) == 3
    counts = count_batch([sliding], burst)
    assert max(c.count for c in counts.values()) == 6
    # Every window holding one of them (ten each, overlapping), and each window counted once.
    assert {key.window_start for key in counts} == {
        start for c in burst for start in sliding_window_starts(c.event_time, 600, 60)
    }


def test_overlapping_crossings_of_one_burst_merge_into_one_alert(
    make_rule: RuleFactory, make_complaint: ComplaintFactory
) -> None:
    rule = make_rule(window="sliding", window_seconds=300, hop_seconds=60, threshold=3, cooldown_seconds=600)
    burst = [make_complaint(event_time=10_000.0 + k) for k in range(3)]
    alerts = []
    for key, counted in sorted(count_batch([rule], burst).items()):
        alert = evaluate_crossing(
            rule, group=key.group, window_start=key.window_start, before=0, after=counted.count, fired_at=1.0
        )
        if alert is not None:
            alerts.append(alert)
    assert len(alerts) == 5  # all five windows holding the burst cross
    merged = alerts[0]
    for repeat in alerts[1:]:
        merged = merge_repeat(merged, repeat, cooldown_seconds=rule.cooldown_seconds) or merged
    assert merged.alert_id == alerts[0].alert_id and merged.occurrences == 5


def test_window_starts() -> None:
    assert sliding_window_starts(59.0, 180, 60) == (-120, -60, 0)
    assert sliding_window_starts(60.0, 120, 60) == (0, 60)
