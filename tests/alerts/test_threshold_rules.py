from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from alerts import BatchCount, TaggedComplaint, ThresholdRule, WindowKey, count_batch, crossed
from alerts.threshold import build_threshold_alert, evaluate_crossing, match_group

RuleFactory = Callable[..., ThresholdRule]
ComplaintFactory = Callable[..., TaggedComplaint]


def test_match_by_tag(make_rule: RuleFactory, make_complaint: ComplaintFactory) -> None:
    rule = make_rule(tag="card_arrival")
    assert match_group(rule, make_complaint("card_arrival")) == "tag=card_arrival"
    assert match_group(rule, make_complaint("lost_or_stolen_card")) is None
    assert match_group(rule, make_complaint("card_arrival", dimension="other")) is None


def test_any_tag_keys_each_tag(make_rule: RuleFactory, make_complaint: ComplaintFactory) -> None:
    rule = make_rule(tag="*")
    assert match_group(rule, make_complaint("a")) == "tag=a"
    assert match_group(rule, make_complaint("b")) == "tag=b"


def test_tag_list(make_rule: RuleFactory, make_complaint: ComplaintFactory) -> None:
    rule = make_rule(tag=None, tags=["a", "b"])
    assert [match_group(rule, make_complaint(t)) for t in "abc"] == ["tag=a", "tag=b", None]


@pytest.mark.parametrize(
    ("filters", "complaint_kwargs", "matches"),
    [
        ({"channel": ["phone", "app"]}, {"channel": "app"}, True),
        ({"channel": ["phone", "app"]}, {"channel": "web"}, False),
        ({"branch": ["B1"]}, {"branch": "B1"}, True),
        ({"branch": ["B1"]}, {"branch": "B2"}, False),
        ({"branch": ["B1"]}, {}, False),  # no branch never equals a listed one
        ({"line": ["L1"]}, {"line": "L1"}, True),
        ({"line": ["L1"]}, {"line": None}, False),
        ({"regulator_forwarded": True}, {"regulator_forwarded": True}, True),
        ({"regulator_forwarded": True}, {"regulator_forwarded": False}, False),
        ({"regulator_forwarded": False}, {"regulator_forwarded": True}, False),
        ({"channel": ["phone"], "branch": ["B1"]}, {"channel": "phone", "branch": "B1"}, True),
        ({"channel": ["phone"], "branch": ["B1"]}, {"channel": "phone", "branch": "B2"}, False),
    ],
)
def test_filters(
    make_rule: RuleFactory,
    make_complaint: ComplaintFactory,
    filters: dict[str, object],
    complaint_kwargs: dict[str, object],
    matches: bool,
) -> None:
    rule = make_rule(filters=filters)
    assert (match_group(rule, make_complaint("card_arrival", **complaint_kwargs)) is not None) is matches


def test_group_key_follows_group_by(make_rule: RuleFactory, make_complaint: ComplaintFactory) -> None:
    rule = make_rule(group_by=["channel", "branch"])
    complaint = make_complaint("card_arrival", channel="app", branch="Main|St")
    assert match_group(rule, complaint) == "tag=card_arrival&channel=app&branch=Main%7CSt"
    assert (
        match_group(rule, make_complaint("card_arrival", channel="app"))
        == "tag=card_arrival&channel=app&branch"
    )


def test_count_batch_per_rule_group_and_window(
    make_rule: RuleFactory, make_complaint: ComplaintFactory
) -> None:
    rules = [
        make_rule(id="one", tag="card_arrival", group_by=["branch"]),
        make_rule(id="any", tag="*", window_seconds=300),
        make_rule(id="off", tag="*", enabled=False),
    ]
    batch = [
        make_complaint("card_arrival", branch="A", event_time=1_000.0),
        make_complaint("card_arrival", branch="A", event_time=1_019.5),
        make_complaint("card_arrival", branch="B", event_time=1_010.0),
        make_complaint("card_arrival", branch="A", event_time=1_020.0),  # next 60 s window
        make_complaint("lost_or_stolen_card", branch="A", event_time=1_005.0),
    ]
    e = [c.event_id for c in batch]
    assert count_batch(rules, batch) == {
        WindowKey("one", "tag=card_arrival&branch=A", 960): BatchCount(2, 1_019.5, (e[0], e[1])),
        WindowKey("one", "tag=card_arrival&branch=B", 960): BatchCount(1, 1_010.0, (e[2],)),
        WindowKey("one", "tag=card_arrival&branch=A", 1_020): BatchCount(1, 1_020.0, (e[3],)),
        WindowKey("any", "tag=card_arrival", 900): BatchCount(4, 1_020.0, (e[0], e[1], e[2], e[3])),
        WindowKey("any", "tag=lost_or_stolen_card", 900): BatchCount(1, 1_005.0, (e[4],)),
    }


def test_count_batch_last_event_at_is_latest_even_out_of_order(
    make_rule: RuleFactory, make_complaint: ComplaintFactory
) -> None:
    batch = [make_complaint(event_time=t) for t in (50.0, 10.0, 30.0)]
    (value,) = count_batch([make_rule()], batch).values()
    assert (value.count, value.last_event_at) == (3, 50.0)
    assert value.event_ids == tuple(c.event_id for c in batch)


def test_count_batch_without_rules_or_complaints(
    make_rule: RuleFactory, make_complaint: ComplaintFactory
) -> None:
    assert count_batch([], [make_complaint()]) == {}
    assert count_batch([make_rule()], []) == {}


@pytest.mark.parametrize(
    ("before", "after", "fires"),
    [(0, 2, False), (0, 3, True), (2, 3, True), (2, 10, True), (3, 4, False), (5, 9, False), (2, 2, False)],
)
def test_crossed(before: int, after: int, fires: bool) -> None:
    assert crossed(before, after, 3) is fires


@pytest.mark.parametrize("seed", range(20))
def test_window_fires_exactly_once_however_batched(seed: int, make_rule: RuleFactory) -> None:
    """Replay the window agent: whatever the micro-batch sizes, one alert per window that reaches N."""
    rng = random.Random(seed)
    rule = make_rule(threshold=rng.randint(1, 30))
    total = rng.randint(0, 60)
    table, alerts, sent = 0, [], 0
    while sent < total:
        increment = rng.randint(1, total - sent)
        sent += increment
        before, table = table, table + increment
        alert = evaluate_crossing(
            rule, group="tag=card_arrival", window_start=0, before=before, after=table, fired_at=1
        )
        if alert is not None:
            alerts.append(alert)
    assert len(alerts) == (1 if total >= rule.threshold else 0)
    if alerts:
        assert alerts[0].count >= rule.threshold


def test_alert_fields_and_reason(make_rule: RuleFactory) -> None:
    rule = make_rule(
        id="card-surge",
        title="Card surge",
        threshold=40,
        window_seconds=300,
        group_by=["branch", "line"],
        audiences=["monitoring", "oncall"],
        severity="critical",
    )
    alert = build_threshold_alert(
        rule, group="tag=card_arrival&branch=X&line", window_start=1_800, count=42, fired_at=1_950.25
    )
    assert (
        alert.reason == "42 complaints tagged card_arrival in 5 min (threshold 40) at branch X, line (none)"
    )
    assert (alert.rule_id, alert.kind, alert.severity, alert.title) == (
        "card-surge",
        "threshold",
        "critical",
        "Card surge",
    )
    assert (alert.dimension, alert.tag, alert.group) == (
        "banking77",
        "card_arrival",
        {"branch": "X", "line": None},
    )
    assert (alert.window_start, alert.window_end, alert.count, alert.threshold) == (1_800, 2_100, 42, 40)
    assert alert.fired_at == 1_950.25
    assert alert.audiences == ("monitoring", "oncall")


@pytest.mark.parametrize(
    ("window", "count", "text"),
    [
        (60, 1, "1 complaint tagged a in 1 min (threshold 1)"),
        (90, 2, "2 complaints tagged a in 90 s (threshold 1)"),
        (7_200, 2, "2 complaints tagged a in 2 h (threshold 1)"),
        (86_400, 2, "2 complaints tagged a in 1 day (threshold 1)"),
        (172_800, 2, "2 complaints tagged a in 2 days (threshold 1)"),
    ],
)
def test_reason_wording(make_rule: RuleFactory, window: int, count: int, text: str) -> None:
    rule = make_rule(tag="*", window_seconds=window, threshold=1)
    alert = build_threshold_alert(rule, group="tag=a", window_start=0, count=count, fired_at=0)
    assert alert.reason == text
