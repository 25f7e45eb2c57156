from __future__ import annotations

from collections.abc import Callable

import orjson

from alerts import Alert, ThresholdRule, alert_id_for, build_threshold_alert, dedup_key


def test_same_crossing_gives_same_id_whatever_count_or_time(make_rule: Callable[..., ThresholdRule]) -> None:
    rule = make_rule(group_by=["branch"])
    first = build_threshold_alert(
        rule, group="tag=card_arrival&branch=B", window_start=60, count=3, fired_at=61
    )
    again = build_threshold_alert(
        rule, group="tag=card_arrival&branch=B", window_start=60, count=5, fired_at=99
    )
    assert first.alert_id == again.alert_id
    assert first.dedup_key == again.dedup_key == "card-arrival-burst|tag=card_arrival&branch=B|60"
    assert first.alert_id == alert_id_for(first.dedup_key)


def test_other_window_group_or_rule_gives_other_id(make_rule: Callable[..., ThresholdRule]) -> None:
    ids = {
        build_threshold_alert(
            make_rule(id=rule_id), group=group, window_start=start, count=3, fired_at=1
        ).alert_id
        for rule_id in ("r1", "r2")
        for group in ("tag=a", "tag=b")
        for start in (0, 60)
    }
    assert len(ids) == 8


def test_alert_id_is_short_hex() -> None:
    alert_id = alert_id_for(dedup_key("r", "tag=a", 0))
    assert len(alert_id) == 16
    int(alert_id, 16)


def test_ws_payload_is_json_and_round_trips(make_rule: Callable[..., ThresholdRule]) -> None:
    rule = make_rule(group_by=["branch", "line"], audiences=["monitoring", "oncall"], severity="critical")
    alert = build_threshold_alert(
        rule, group="tag=card_arrival&branch=B%201&line", window_start=120, count=4, fired_at=150.5
    )
    payload = alert.to_ws_payload()
    decoded = orjson.loads(orjson.dumps(payload))
    assert decoded == payload
    assert payload["group"] == {"branch": "B 1", "line": None}
    assert payload["audiences"] == ["monitoring", "oncall"]
    assert payload["severity"] == "critical"
    assert payload["window_end"] - payload["window_start"] == 60
    assert Alert.model_validate(decoded) == alert
