"""The lifecycle rules on a simulated clock: repeats, acknowledge, resolve, escalation."""

from __future__ import annotations

import pytest

from alerts import (
    Alert,
    ThresholdRule,
    TransitionError,
    acknowledge,
    build_threshold_alert,
    escalate,
    escalation_due_at,
    merge_repeat,
    resolve,
)
from tests.alerts.conftest import RuleFactory


def _crossing(rule: ThresholdRule, window: int, count: int = 5, group: str = "tag=card_arrival") -> Alert:
    start = window * rule.window_seconds
    return build_threshold_alert(
        rule, group=group, window_start=start, count=count, fired_at=start + rule.window_seconds + 0.5
    )


def test_repeats_within_cooldown_merge_into_one_alert(make_rule: RuleFactory) -> None:
    rule = make_rule(cooldown_seconds=600)
    alert = _crossing(rule, 0)
    # 60 s windows; window 12 starts 540 s after window 3, the previous repeat: within the cooldown.
    for window, count in [(1, 7), (3, 9), (12, 4)]:
        merged = merge_repeat(alert, _crossing(rule, window, count), cooldown_seconds=rule.cooldown_seconds)
        assert merged is not None
        alert = merged
    assert alert.alert_id == _crossing(rule, 0).alert_id
    assert alert.occurrences == 4
    assert alert.count == 4  # the latest window's count
    assert alert.window_start == 0 and alert.window_end == 13 * 60
    assert alert.last_window_start == 12 * 60
    # Quiet for the whole cooldown (600 s) since the latest repeat: a new alert.
    assert merge_repeat(alert, _crossing(rule, 22), cooldown_seconds=600) is None


def test_without_cooldown_every_repeat_merges_until_resolved(make_rule: RuleFactory) -> None:
    rule = make_rule()
    alert = _crossing(rule, 0)
    merged = merge_repeat(alert, _crossing(rule, 10_000), cooldown_seconds=None)
    assert merged is not None and merged.occurrences == 2
    done = resolve(merged, by="ops", at=1.0)
    assert done is not None
    assert merge_repeat(done, _crossing(rule, 10_001), cooldown_seconds=None) is None


def test_other_series_never_merge(make_rule: RuleFactory) -> None:
    rule = make_rule(group_by=["branch"])
    a = _crossing(rule, 0, group="tag=card_arrival&branch=A")
    b = _crossing(rule, 1, group="tag=card_arrival&branch=B")
    assert merge_repeat(a, b, cooldown_seconds=None) is None
    other_rule = make_rule(id="other-rule")
    assert merge_repeat(_crossing(rule, 0), _crossing(other_rule, 1), cooldown_seconds=None) is None


def test_repeat_raises_severity_never_lowers(make_rule: RuleFactory) -> None:
    alert = _crossing(make_rule(severity="warning"), 0)
    louder = _crossing(make_rule(severity="critical"), 1)
    quieter = _crossing(make_rule(severity="info"), 2)
    merged = merge_repeat(alert, louder, cooldown_seconds=None)
    assert merged is not None and merged.severity == "critical"
    merged = merge_repeat(merged, quieter, cooldown_seconds=None)
    assert merged is not None and merged.severity == "critical"


def test_acknowledge_then_resolve(make_rule: RuleFactory) -> None:
    alert = _crossing(make_rule(severity="critical"), 0)
    acked = acknowledge(alert, by="wang.fang", at=100.0)
    assert acked is not None
    assert (acked.status, acked.acked_by, acked.acked_at, acked.updated_at) == (
        "acknowledged",
        "wang.fang",
        100.0,
        100.0,
    )
    assert acknowledge(acked, by="other", at=120.0) is None  # first acknowledgement stands
    done = resolve(acked, by="wang.fang", at=300.0, note="branch printer fixed")
    assert done is not None and done.status == "resolved" and done.resolution == "branch printer fixed"
    with pytest.raises(TransitionError, match="resolved"):
        acknowledge(done, by="late", at=400.0)
    assert resolve(done, by="again", at=500.0) is None


def test_escalation_timing_on_a_simulated_clock(make_rule: RuleFactory) -> None:
    alert = _crossing(make_rule(severity="critical"), 0)  # fired at 60.5
    due = escalation_due_at(alert, after_seconds=300, min_severity="critical")
    assert due == pytest.approx(360.5)
    assert escalation_due_at(alert, after_seconds=300, min_severity="warning") == pytest.approx(360.5)
    quiet = _crossing(make_rule(severity="warning"), 0)
    assert escalation_due_at(quiet, after_seconds=300, min_severity="critical") is None
    acked = acknowledge(alert, by="x", at=200.0)
    assert acked is not None
    assert escalation_due_at(acked, after_seconds=300, min_severity="critical") is None
    assert escalate(acked, at=400.0) is None  # acknowledged in time: nobody is paged
    escalated = escalate(alert, at=due)
    assert escalated is not None and escalated.escalated_at == due and "oncall" in escalated.audiences
    assert escalation_due_at(escalated, after_seconds=300, min_severity="critical") is None
