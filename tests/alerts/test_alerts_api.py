"""The alert feed, list, ack and resolve against the running API and worker (real Redis, ClickHouse).

Alerts are raised straight into the stack's alert store (as a worker would), so each test controls
exactly which alerts exist; the worker archives them to ClickHouse and escalates them.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets

from alerts import Alert, ThresholdRule, build_threshold_alert
from storage.alert_states import AlertStore
from tests.conftest import Pipeline

pytestmark = pytest.mark.services


@pytest.fixture
async def store(pipeline: Pipeline) -> AsyncIterator[AlertStore]:
    s = pipeline.stack.settings
    client = aioredis.Redis.from_url(s.redis_url)
    yield AlertStore(client, key_prefix=s.redis_key_prefix, maxlen=s.alert_stream_maxlen)
    await client.aclose()


def make_alert(
    rule_id: str, *, severity: str = "warning", window: int = 0, regulator: bool = False, count: int = 5
) -> Alert:
    rule = ThresholdRule.model_validate(
        {
            "id": rule_id,
            "kind": "threshold",
            "title": f"Test {rule_id}",
            "severity": severity,
            "dimension": "banking77",
            "tag": "card_arrival",
            "window_seconds": 60,
            "threshold": 3,
            **({"filters": {"regulator_forwarded": True}} if regulator else {}),
        }
    )
    start = int(time.time()) // 60 * 60 + 60 * window
    return build_threshold_alert(
        rule, group="tag=card_arrival", window_start=start, count=count, fired_at=time.time()
    )


def ws_url(pipeline: Pipeline, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"token": pipeline.stack.token, **params}.items())
    return f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?{query}"


async def collect(url: str, *, until: int, prefix: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Messages about alerts of rules starting with ``prefix`` until ``until`` of them came (or timeout)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    async with websockets.connect(url) as ws:
        while len(got) < until:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            except TimeoutError:
                break
            if message["alert"]["rule_id"].startswith(prefix):
                got.append(message)
    return got


async def quiet_collect(url: str, prefix: str, seconds: float = 1.5) -> list[dict[str, Any]]:
    """Everything about ``prefix`` rules that arrives within ``seconds`` (to prove something did NOT)."""
    return await collect(url, until=10_000, prefix=prefix, timeout=seconds)


def api(pipeline: Pipeline) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10)


async def test_feed_routes_by_role_and_least_severity(pipeline: Pipeline, store: AlertStore) -> None:
    p = f"route-{secrets.token_hex(3)}"
    start = await store.stream.last_id()
    info = (await store.raise_alert(make_alert(f"{p}-info", severity="info"))).alert
    critical = (await store.raise_alert(make_alert(f"{p}-crit", severity="critical"))).alert
    regulator = (await store.raise_alert(make_alert(f"{p}-reg", severity="warning", regulator=True))).alert
    assert info and critical and regulator

    async def ids(**params: str) -> list[str]:
        messages = await quiet_collect(ws_url(pipeline, last_id=start, **params), p)
        return [m["alert"]["rule_id"] for m in messages]

    everyone, warn_up, desk, oncall = await asyncio.gather(
        ids(),
        ids(role="monitoring", min_severity="warning"),
        ids(role="regulator_desk"),
        ids(role="oncall"),
    )
    assert everyone == [f"{p}-info", f"{p}-crit", f"{p}-reg"]
    assert warn_up == [f"{p}-crit", f"{p}-reg"]
    assert desk == [f"{p}-reg"]
    assert oncall == [f"{p}-crit"]


async def test_unknown_role_or_severity_is_refused(pipeline: Pipeline) -> None:
    for params in ({"role": "ceo"}, {"min_severity": "loud"}):
        with pytest.raises(websockets.exceptions.WebSocketException):
            async with websockets.connect(ws_url(pipeline, **params)) as ws:
                await asyncio.wait_for(ws.recv(), 3)


async def test_reconnect_with_last_id_gets_every_missed_event_once_in_order(
    pipeline: Pipeline, store: AlertStore
) -> None:
    p = f"resume-{secrets.token_hex(3)}"
    start = await store.stream.last_id()
    # On-call sees the critical ones only: the warnings in between must not confuse the cursor.
    for n in range(4):
        await store.raise_alert(make_alert(f"{p}-{n}", severity="critical" if n % 2 == 0 else "warning"))
    first = await collect(ws_url(pipeline, role="oncall", last_id=start), until=1, prefix=p)
    assert [m["alert"]["rule_id"] for m in first] == [f"{p}-0"]
    # Disconnected: more alerts, and a repeat of a critical one (an `updated` event), arrive.
    for n in range(4, 8):
        await store.raise_alert(make_alert(f"{p}-{n}", severity="critical" if n % 2 == 0 else "warning"))
    await store.raise_alert(make_alert(f"{p}-2", severity="critical", window=1, count=11))
    resumed = await collect(
        ws_url(pipeline, role="oncall", last_id=first[-1]["stream_id"]), until=4, prefix=p
    )
    assert [(m["event"], m["alert"]["rule_id"]) for m in resumed] == [
        ("fired", f"{p}-2"),
        ("fired", f"{p}-4"),
        ("fired", f"{p}-6"),
        ("updated", f"{p}-2"),
    ]
    assert resumed[-1]["alert"]["occurrences"] == 2 and resumed[-1]["alert"]["count"] == 11
    seen = [m["stream_id"] for m in first + resumed]
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=lambda s: tuple(int(x) for x in s.split("-")))
    assert await quiet_collect(ws_url(pipeline, role="oncall", last_id=resumed[-1]["stream_id"]), p) == []


async def test_ack_and_resolve_over_http_reach_the_feed_and_the_list(
    pipeline: Pipeline, store: AlertStore
) -> None:
    p = f"ack-{secrets.token_hex(3)}"
    start = await store.stream.last_id()
    alert = (await store.raise_alert(make_alert(f"{p}-a", severity="critical"))).alert
    assert alert is not None
    async with api(pipeline) as http:
        r = await http.post(f"/api/v1/alerts/{alert.alert_id}/ack", json={"by": "zhang.wei"})
        assert r.status_code == 200, r.text
        assert r.json()["changed"] is True
        assert r.json()["alert"]["status"] == "acknowledged" and r.json()["alert"]["acked_by"] == "zhang.wei"
        again = await http.post(f"/api/v1/alerts/{alert.alert_id}/ack", json={"by": "other"})
        assert again.status_code == 200 and again.json()["changed"] is False
        assert again.json()["alert"]["acked_by"] == "zhang.wei"
        r = await http.post(
            f"/api/v1/alerts/{alert.alert_id}/resolve", json={"by": "zhang.wei", "note": "fixed"}
        )
        assert r.status_code == 200 and r.json()["alert"]["resolution"] == "fixed"
        late = await http.post(f"/api/v1/alerts/{alert.alert_id}/ack", json={"by": "late"})
        assert late.status_code == 409 and "resolved" in late.json()["detail"]
        assert (await http.post(f"/api/v1/alerts/{'0' * 16}/ack", json={"by": "x"})).status_code == 404
        bad = await http.post("/api/v1/alerts/not-an-id/ack", json={"by": "x"})
        assert bad.status_code == 422
        no_who = await http.post(f"/api/v1/alerts/{alert.alert_id}/ack", json={})
        assert no_who.status_code == 422 and no_who.json()["detail"].startswith("by:")
        assert (
            await httpx.AsyncClient(base_url=pipeline.url).post(
                f"/api/v1/alerts/{alert.alert_id}/ack", json={"by": "x"}
            )
        ).status_code == 401

        events = await collect(ws_url(pipeline, role="oncall", last_id=start), until=3, prefix=p)
        assert [m["event"] for m in events] == ["fired", "acknowledged", "resolved"]

        # The worker archives every event to ClickHouse; the list shows the alert as it stands.
        listed: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60  # the worker may still be starting (it creates the tables)
        while time.monotonic() < deadline:
            r = await http.get("/api/v1/alerts", params={"rule_id": f"{p}-a"})
            assert r.status_code in (200, 503), r.text
            listed = r.json().get("alerts", [])
            if listed and listed[0]["status"] == "resolved":
                break
            await asyncio.sleep(0.5)
        assert [(a["alert_id"], a["status"], a["last_event"]) for a in listed] == [
            (alert.alert_id, "resolved", "resolved")
        ]
        one = await http.get(f"/api/v1/alerts/{alert.alert_id}")
        assert one.status_code == 200
        assert [h["event"] for h in one.json()["history"]] == ["fired", "acknowledged", "resolved"]
        assert (await http.get("/api/v1/alerts", params={"rule_id": f"{p}-a", "status": "open"})).json() == {
            "alerts": []
        }


async def test_list_filters_by_role_and_severity(pipeline: Pipeline, store: AlertStore) -> None:
    p = f"list-{secrets.token_hex(3)}"
    await store.raise_alert(make_alert(f"{p}-info", severity="info"))
    await store.raise_alert(make_alert(f"{p}-reg", severity="warning", regulator=True))
    await store.raise_alert(make_alert(f"{p}-crit", severity="critical"))
    async with api(pipeline) as http:

        async def rule_ids(**params: str) -> set[str]:
            r = await http.get("/api/v1/alerts", params={"limit": "1000", **params})
            assert r.status_code in (200, 503), r.text
            return {a["rule_id"] for a in r.json().get("alerts", []) if a["rule_id"].startswith(p)}

        deadline = time.monotonic() + 60  # the worker may still be starting (it creates the tables)
        while len(await rule_ids()) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert await rule_ids() == {f"{p}-info", f"{p}-reg", f"{p}-crit"}
        assert await rule_ids(role="regulator_desk") == {f"{p}-reg"}
        assert await rule_ids(role="oncall") == {f"{p}-crit"}
        assert await rule_ids(min_severity="warning") == {f"{p}-reg", f"{p}-crit"}
        assert (await http.get("/api/v1/alerts", params={"role": "ceo"})).status_code == 422
        far = await http.get("/api/v1/alerts", params={"since": "9999-01-01T00:00:00Z"})
        assert far.status_code == 422 and far.json()["detail"].startswith("query.since:")


async def test_unacknowledged_critical_alert_escalates_to_oncall(pipeline: Pipeline) -> None:
    s = pipeline.stack.settings
    client = aioredis.Redis.from_url(s.redis_url)
    try:
        # Raised with a 1 s escalation delay (the worker's timer escalates whatever is due).
        quick = AlertStore(client, key_prefix=s.redis_key_prefix, escalate_after_s=1.0)
        p = f"esc-{secrets.token_hex(3)}"
        start = await quick.stream.last_id()
        alert = (await quick.raise_alert(make_alert(f"{p}-a", severity="critical"))).alert
        acked = (await quick.raise_alert(make_alert(f"{p}-b", severity="critical"))).alert
        assert alert and acked
        async with api(pipeline) as http:
            r = await http.post(f"/api/v1/alerts/{acked.alert_id}/ack", json={"by": "quick"})
            assert r.status_code == 200
        events = await collect(ws_url(pipeline, role="oncall", last_id=start), until=4, prefix=p, timeout=15)
        assert [(m["event"], m["alert"]["rule_id"]) for m in events] == [
            ("fired", f"{p}-a"),
            ("fired", f"{p}-b"),
            ("acknowledged", f"{p}-b"),
            ("escalated", f"{p}-a"),
        ]
        assert events[-1]["alert"]["escalated_at"] >= alert.fired_at + 1.0
        assert (
            await quiet_collect(ws_url(pipeline, role="oncall", last_id=events[-1]["stream_id"]), p, 2.5)
            == []
        )
    finally:
        await client.aclose()
