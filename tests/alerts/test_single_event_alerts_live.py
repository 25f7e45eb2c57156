"""Alerts on single events, on the running worker: regulator-forwarded complaints and calls, risky
utterances during a call, and deadline clocks driven by ticket events (the stack's test rules:
``e2e-regulator``, ``e2e-live-call``, ``e2e-deadlines`` with a 6 s first response on line
``deadline-test``)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from aiokafka import AIOKafkaProducer

from storage.clickhouse import DriverExecutor
from tests.conftest import Pipeline

pytestmark = pytest.mark.services


def ws_url(pipeline: Pipeline, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"token": pipeline.stack.token, **params}.items())
    return f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?{query}"


class Feed:
    """A websocket alert feed collecting messages in the background."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            self.messages.append((time.time(), json.loads(raw)))

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for received, message in self.messages:
                if predicate(message):
                    return received, message
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"no matching alert within {timeout} s; got {[m['alert']['rule_id'] for _, m in self.messages]}"
        )

    def matching(self, predicate: Any) -> list[dict[str, Any]]:
        return [m for _, m in self.messages if predicate(m)]


@pytest.fixture
async def feed(pipeline: Pipeline) -> AsyncIterator[Feed]:
    async with websockets.connect(ws_url(pipeline)) as ws:
        f = Feed(ws)
        yield f
        f._task.cancel()


def api(pipeline: Pipeline) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10)


async def test_forwarded_complaints_alert_the_regulator_desk_at_once(pipeline: Pipeline) -> None:
    run = secrets.token_hex(3)
    async with websockets.connect(ws_url(pipeline, role="regulator_desk")) as ws, api(pipeline) as http:
        desk = Feed(ws)
        posted = time.time()
        for body in (
            {"id": f"{run}-fwd", "text": "Forwarded by 12378", "channel": "web", "regulator_forwarded": True,
             "regulator_ref": f"12378-{run}", "branch": "sh-01"},
            {"id": f"{run}-reg", "text": "Via the regulator channel", "channel": "regulator"},
            {"id": f"{run}-own", "text": "My card has not arrived", "channel": "web"},
        ):  # fmt: skip
            assert (await http.post("/api/v1/complaints", json=body)).status_code == 202
        received, first = await desk.wait_for(lambda m: m["alert"].get("complaint_id") == f"{run}-fwd")
        await desk.wait_for(lambda m: m["alert"].get("complaint_id") == f"{run}-reg")
        assert received - posted < 5.0
        alert = first["alert"]
        assert alert["rule_id"] == "e2e-regulator" and alert["regulator"] is True
        assert f"12378-{run}" in alert["reason"] and "Forwarded by" not in alert["reason"]
        await asyncio.sleep(1.0)
        assert desk.matching(lambda m: m["alert"].get("complaint_id") == f"{run}-own") == []
        desk._task.cancel()


async def _produce_utterances(pipeline: Pipeline, utterances: list[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.stack.settings.kafka_bootstrap, max_batch_size=1)
    await producer.start()
    try:
        for u in utterances:
            await producer.send_and_wait(
                pipeline.stack.settings.topic("calls.utterances"),
                json.dumps(u).encode(),
                key=u["call_id"].encode(),
            )
    finally:
        await producer.stop()


def _utterance(
    call_id: str, index: int, risk: float, level: str, terms: list[str], **metadata: Any
) -> dict[str, Any]:
    now = time.time()
    return {
        "utterance_id": f"{call_id}:{index}",
        "call_id": call_id,
        "index": index,
        "text": "(transcript)",
        "start_s": 10.0 * index,
        "end_s": 10.0 * index + 4,
        "confidence": 0.9,
        "risk": risk,
        "risk_level": level,
        "risk_terms": terms,
        "source": "live",
        "metadata": metadata,
        "call_started_at": now - 60,
        "recognized_at": now,
    }


async def test_risky_utterances_alert_during_the_call_and_repeats_update(
    pipeline: Pipeline, feed: Feed
) -> None:
    call = f"call-{secrets.token_hex(3)}"
    await _produce_utterances(
        pipeline,
        [
            _utterance(call, 0, 0.3, "low", ["refund"], line="95555-1"),
            _utterance(call, 1, 0.86, "high", ["regulator", "lawyer"], line="95555-1"),
            _utterance(call, 2, 0.9, "high", ["media"], line="95555-1"),
        ],
    )
    _, fired = await feed.wait_for(lambda m: m["alert"].get("call_id") == call and m["event"] == "fired")
    assert fired["alert"]["rule_id"] == "e2e-live-call" and fired["alert"]["severity"] == "critical"
    assert "regulator, lawyer" in fired["alert"]["reason"] and "(transcript)" not in fired["alert"]["reason"]
    _, update = await feed.wait_for(lambda m: m["alert"].get("call_id") == call and m["event"] == "updated")
    assert update["alert"]["alert_id"] == fired["alert"]["alert_id"] and update["alert"]["occurrences"] == 2


async def test_forwarded_call_alerts_on_its_first_words(pipeline: Pipeline, feed: Feed) -> None:
    call = f"call-{secrets.token_hex(3)}"
    await _produce_utterances(
        pipeline,
        [
            _utterance(call, 0, 0.0, "none", [], regulator_forwarded=True, regulator_ref="12378-9"),
            _utterance(call, 1, 0.0, "none", [], regulator_forwarded=True, regulator_ref="12378-9"),
        ],
    )
    _, message = await feed.wait_for(lambda m: m["alert"].get("call_id") == call)
    alert = message["alert"]
    assert (
        alert["rule_id"] == "e2e-regulator" and alert["complaint_id"] == f"call-{call}" and alert["regulator"]
    )
    await asyncio.sleep(1.0)
    assert len(feed.matching(lambda m: m["alert"].get("call_id") == call)) == 1  # once per call


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "opened"}, "kind:"),
        ({"kind": "extended", "limit_days": 30}, "body: Value error, an extension needs the reason"),
        ({"kind": "extended", "note": "complex"}, "body: Value error, an extension needs limit_days"),
        ({"kind": "extended", "limit_days": 45, "note": "x"}, "limit_days:"),
        ({"kind": "responded", "limit_days": 30}, "body: Value error, limit_days is only for kind extended"),
        ({"kind": "responded", "deadlines": ["resolution"]}, "body: Value error, deadlines is only for"),
        ({"kind": "paused", "deadlines": ["lunch"]}, "deadlines.0:"),
        ({"kind": "responded", "at": time.time() + 3600}, "at: is in the future"),
        ({"kind": "responded", "colour": "red"}, "colour:"),
    ],
)
async def test_bad_ticket_events_are_refused(pipeline: Pipeline, body: dict[str, Any], message: str) -> None:
    async with api(pipeline) as http:
        r = await http.post("/api/v1/complaints/c-1/events", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(message), r.json()


async def test_ticket_events_need_the_token_and_a_sane_id(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.url) as anonymous:
        assert (
            await anonymous.post("/api/v1/complaints/c-1/events", json={"kind": "responded"})
        ).status_code == 401
    async with api(pipeline) as http:
        assert (
            await http.post("/api/v1/complaints/bad%20id/events", json={"kind": "responded"})
        ).status_code == 422


async def test_deadlines_warn_breach_pause_and_stop(pipeline: Pipeline, feed: Feed) -> None:
    """First response within 6 s (warning at 4.8 s). A: left alone. B: paused 5 s, then answered."""
    run = secrets.token_hex(3)
    a, b = f"{run}-a", f"{run}-b"
    async with api(pipeline) as http:
        for cid in (a, b):
            body = {"id": cid, "text": "Where is my money?", "channel": "web", "line": "deadline-test"}
            assert (await http.post("/api/v1/complaints", json=body)).status_code == 202
        received_at = time.time()
        r = await http.post(
            f"/api/v1/complaints/{b}/events", json={"kind": "paused", "at": received_at + 0.5, "id": "p"}
        )
        assert r.status_code == 202, r.text
        assert r.json()["event_id"] == f"{b}:p"

        def deadline(cid: str, stage: str) -> Any:
            severity = "warning" if stage == "warning" else "critical"
            return lambda m: (
                m["alert"].get("complaint_id") == cid
                and m["alert"].get("deadline") == "first_response"
                and m["alert"]["severity"] == severity
                and m["event"] == "fired"
            )

        warned_a, _ = await feed.wait_for(deadline(a, "warning"))
        breached_a, breach = await feed.wait_for(deadline(a, "breach"))
        assert warned_a - received_at >= 4.0 and 5.5 <= breached_a - received_at < 15
        assert "first response deadline of 6 s passed" in breach["alert"]["reason"]
        assert feed.matching(deadline(b, "warning")) == []  # B is paused
        await asyncio.sleep(max(0.0, received_at + 5.5 - time.time()))
        r = await http.post(f"/api/v1/complaints/{b}/events", json={"kind": "resumed", "id": "r"})
        assert r.status_code == 202
        resumed_at = time.time()
        warned_b, warning_b = await feed.wait_for(deadline(b, "warning"))
        assert warned_b - resumed_at >= 3.0  # the 4.8 s warning counts business time only
        r = await http.post(
            f"/api/v1/complaints/{b}/events", json={"kind": "responded", "id": "x", "actor": "agent-7"}
        )
        assert r.status_code == 202
        # Answering stops the clock: its open warning is resolved, and it never breaches.
        _, resolved = await feed.wait_for(
            lambda m: m["alert"]["alert_id"] == warning_b["alert"]["alert_id"] and m["event"] == "resolved"
        )
        assert resolved["alert"]["resolved_by"] == "agent-7"
        await asyncio.sleep(3.0)
        assert feed.matching(deadline(b, "breach")) == []

    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    rows: list[tuple[Any, ...]] = []
    for _ in range(40):
        rows = executor.execute(
            "SELECT kind, paused_s, actor FROM ticket_events WHERE complaint_id = %(id)s ORDER BY at",
            {"id": b},
        )
        if len(rows) >= 3:
            break
        await asyncio.sleep(0.25)
    assert [r[0] for r in rows] == ["paused", "resumed", "responded"]
    assert 4 <= rows[-1][1] <= 8 and rows[-1][2] == "agent-7"
