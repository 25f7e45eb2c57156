"""The alert history in ClickHouse (the local 18.16 server and chdb): archive, list, filters, history."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from alerts import Alert, AlertViewer, acknowledge, build_threshold_alert, escalate, resolve
from alerts.rules import ThresholdRule
from storage.clickhouse import ChdbExecutor, ClickHouseExecutor, DriverExecutor
from storage.clickhouse.alert_queries import alert_history, insert_alert_events, list_alerts
from storage.clickhouse.alert_schema import ALERT_STATEMENTS
from tests.conftest import Stack

NOW = 1_764_000_000.0


@pytest.fixture(params=[pytest.param("server", marks=pytest.mark.services), "chdb"])
def executor(request: pytest.FixtureRequest) -> Iterator[ClickHouseExecutor]:
    database = f"t_alerts_{uuid.uuid4().hex[:10]}"
    if request.param == "server":
        stack: Stack = request.getfixturevalue("stack")
        base = stack.settings.clickhouse_url.rsplit("/", 1)[0]
        ex: ClickHouseExecutor = DriverExecutor.from_url(f"{base}/{database}")
    else:
        ex = ChdbExecutor(request.getfixturevalue("chdb_path"), database)
    for statement in ALERT_STATEMENTS:
        ex.execute(statement)
    yield ex
    ex.execute(f"DROP DATABASE IF EXISTS {database}")
    ex.close()


def _alert(
    n: int, *, severity: str, regulator: bool = False, audiences: tuple[str, ...] = ("monitoring",)
) -> Alert:
    rule = ThresholdRule.model_validate(
        {
            "id": f"rule-{n}",
            "kind": "threshold",
            "title": f"Rule {n}",
            "severity": severity,
            "audiences": list(audiences),
            "dimension": "banking77",
            "tag": "card_arrival",
            "window_seconds": 60,
            "threshold": 2,
            **({"filters": {"regulator_forwarded": True}} if regulator else {}),
        }
    )
    return build_threshold_alert(rule, group="tag=card_arrival", window_start=60, count=3, fired_at=NOW + n)


def _history() -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Alert]]:
    """Stream entries for a mix of alerts and lifecycle events, and each alert's final state."""
    ms = itertools.count(int(NOW * 1000))
    entries: list[tuple[str, str, dict[str, Any]]] = []
    final: dict[str, Alert] = {}

    def add(event: str, alert: Alert) -> None:
        entries.append((f"{next(ms)}-0", event, alert.to_ws_payload()))
        final[alert.alert_id] = alert

    specs = [
        {"severity": "info"},
        {"severity": "warning", "regulator": True},
        {"severity": "critical"},
        {"severity": "warning", "audiences": ("monitoring", "oncall")},
        {"severity": "info", "audiences": ("regulator_desk",)},
        {"severity": "warning"},
    ]
    alerts = [
        _alert(n, **spec)  # type: ignore[arg-type]  # spec dicts differ in value types: joined to object
        for n, spec in enumerate(specs)
    ]
    for alert in alerts:
        add("fired", alert)
    acked = acknowledge(alerts[2], by="li", at=NOW + 100)
    assert acked is not None
    add("acknowledged", acked)
    done = resolve(alerts[0], by="li", at=NOW + 101)
    assert done is not None
    add("resolved", done)
    escalated = escalate(alerts[5], at=NOW + 102)  # a warning escalated: on-call sees it from now on
    assert escalated is not None
    add("escalated", escalated)
    return entries, final


def test_list_shows_each_alert_as_it_stands_and_filters_like_the_feed(executor: ClickHouseExecutor) -> None:
    entries, final = _history()
    insert_alert_events(executor, entries)
    insert_alert_events(executor, entries[:4])  # archived twice (a crash before the cursor moved)
    listed = list_alerts(executor, since=NOW - 10, limit=100)
    assert sorted(a["alert_id"] for a in listed) == sorted(final)
    assert [a["fired_at"] for a in listed] == sorted((a["fired_at"] for a in listed), reverse=True)
    by_id = {a["alert_id"]: a for a in listed}
    for alert_id, alert in final.items():
        assert by_id[alert_id]["status"] == alert.status
        assert (
            Alert.model_validate(
                {k: v for k, v in by_id[alert_id].items() if k not in ("last_event", "stream_id")}
            )
            == alert
        )
    for role, least in itertools.product(
        ("monitoring", "regulator_desk", "oncall"), ("info", "warning", "critical")
    ):
        viewer = AlertViewer(role, least)  # type: ignore[arg-type]  # product() widens the Literals to str
        expected = {i for i, a in final.items() if viewer.sees(a.to_ws_payload())}
        got = {a["alert_id"] for a in list_alerts(executor, since=NOW - 10, role=role, min_severity=least)}
        assert got == expected, (role, least)
    assert {a["status"] for a in list_alerts(executor, since=NOW - 10, status=("acknowledged",))} == {
        "acknowledged"
    }
    assert len(list_alerts(executor, since=NOW - 10, status=("open", "acknowledged"))) == len(final) - 1
    assert [a["rule_id"] for a in list_alerts(executor, since=NOW - 10, rule_id="rule-3")] == ["rule-3"]
    assert list_alerts(executor, since=NOW + 1000) == []
    assert len(list_alerts(executor, since=NOW - 10, limit=2)) == 2


def test_history_lists_each_event_once_in_order(executor: ClickHouseExecutor) -> None:
    entries, final = _history()
    insert_alert_events(executor, entries)
    insert_alert_events(executor, entries)
    target = next(i for i, a in final.items() if a.status == "acknowledged")
    history = alert_history(executor, target)
    assert [h["event"] for h in history] == ["fired", "acknowledged"]
    assert history[-1]["alert"]["acked_by"] == "li"
    assert alert_history(executor, "f" * 16) == []


def test_bad_filters_are_refused(executor: ClickHouseExecutor) -> None:
    with pytest.raises(ValueError):
        list_alerts(executor, since=0, role="ceo")
    with pytest.raises(ValueError):
        list_alerts(executor, since=0, min_severity="loud")
    assert partial(list_alerts, executor, since=0)() == []
