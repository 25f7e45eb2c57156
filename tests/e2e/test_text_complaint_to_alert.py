"""End to end on the real stack: POSTed complaints become rows and a live alert on /ws/alerts."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest
import websockets
from aiokafka import AIOKafkaProducer

from storage.clickhouse import DriverExecutor, count_complaints, minute_counts
from tests.conftest import CARD_BURST, CARD_TEXTS, Pipeline

pytestmark = pytest.mark.services

N = CARD_BURST


def _complaints(branch: str, n: int) -> list[dict[str, object]]:
    return [
        {"id": f"{branch}-{i}", "text": CARD_TEXTS[i % len(CARD_TEXTS)], "channel": "app", "branch": branch}
        for i in range(n)
    ]


async def _wait_rows(pipeline: Pipeline, ids: list[str], expected: int, timeout: float = 30.0) -> int:
    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(count_complaints, executor, ids)
        if count >= expected:
            break
        await asyncio.sleep(0.2)
    return count


async def test_burst_fires_one_alert_and_stores_each_complaint_once(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    branch = f"e2e-{secrets.token_hex(3)}"
    complaints = _complaints(branch, N)
    ws_url = f"ws://127.0.0.1:{stack.settings.api_port}/ws/alerts?token={stack.token}"
    async with (
        websockets.connect(ws_url) as ws,
        httpx.AsyncClient(base_url=pipeline.url, headers=stack.auth()) as http,
    ):
        started = time.monotonic()
        for body in complaints:
            response = await http.post("/api/v1/complaints", json=body)
            assert response.status_code == 202, response.text
            assert response.json()["id"] == body["id"]
        # The same records delivered twice: a client retry through the API, and a raw redelivery.
        retry = await http.post("/api/v1/complaints", json=complaints[0])
        assert retry.status_code == 202
        producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap, max_batch_size=1)
        await producer.start()
        try:
            event = {
                "event_id": complaints[1]["id"],
                "text": CARD_TEXTS[1],
                "channel": "app",
                "branch": branch,
                "received_at": time.time(),
            }
            await producer.send_and_wait(
                stack.settings.topic("complaints.in"),
                json.dumps(event).encode(),
                key=event["event_id"].encode(),
            )
        finally:
            await producer.stop()

        alert = None
        while alert is None:
            remaining = 10.0 - (time.monotonic() - started)
            assert remaining > 0, "no alert within 10 s of the first POST"
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if message["alert"]["group"].get("branch") == branch:
                alert = message["alert"]
        assert alert["rule_id"] == "e2e-card-arrival"
        assert alert["tag"] == "card_arrival"
        assert alert["count"] >= N
        assert "card_arrival" in alert["reason"]
        assert time.monotonic() - started < 10.0

    ids = [str(c["id"]) for c in complaints]
    assert await _wait_rows(pipeline, ids, N) == N
    await asyncio.sleep(2.5)  # a late duplicate would show up by now (flush interval 1 s)
    executor = DriverExecutor.from_url(stack.settings.clickhouse_url)
    assert count_complaints(executor, ids) == N
    now = time.time()
    per_minute = minute_counts(
        executor, dimension="banking77", tag="card_arrival", since=now - 600, until=now + 60
    )
    assert sum(n for _, n in per_minute) >= N


async def _burst(pipeline: Pipeline, branch: str) -> None:
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth()) as http:
        response = await http.post("/api/v1/complaints/batch", json={"complaints": _complaints(branch, N)})
        assert response.status_code == 202, response.text


async def _read_until_branch(url: str, branch: str) -> list[dict[str, object]]:
    messages = []
    async with websockets.connect(url) as ws:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            messages.append(message)
            if message["alert"]["group"].get("branch") == branch:
                return messages


async def test_alert_feed_resumes_after_last_id_without_gaps_or_repeats(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    base = f"ws://127.0.0.1:{stack.settings.api_port}/ws/alerts?token={stack.token}"
    first_branch, missed_branch = f"e2e-{secrets.token_hex(3)}", f"e2e-{secrets.token_hex(3)}"
    await _burst(pipeline, first_branch)
    last_id = (await _read_until_branch(f"{base}&last_id=0-0", first_branch))[-1]["stream_id"]
    await _burst(pipeline, missed_branch)  # fires while no client listens
    await asyncio.sleep(1.0)
    resumed = [m["stream_id"] for m in await _read_until_branch(f"{base}&last_id={last_id}", missed_branch)]
    assert last_id not in resumed
    assert len(resumed) == len(set(resumed))
    assert resumed == sorted(resumed, key=lambda s: tuple(int(p) for p in str(s).split("-")))


async def test_websocket_without_token_is_refused(pipeline: Pipeline) -> None:
    url = f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?token=wrong"
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(url) as ws:
            await asyncio.wait_for(ws.recv(), 5)
