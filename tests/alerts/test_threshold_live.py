"""Sliding-window threshold on the running worker: one burst crosses every window that holds it,
and the crossings reach clients as one alert and its repeats (``e2e-sliding``: day-long windows
every 12 h, threshold 3, per branch, line ``sliding-test`` only)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest
import websockets

from tests.conftest import Pipeline

pytestmark = pytest.mark.services


async def test_sliding_windows_fire_once_and_repeat(pipeline: Pipeline) -> None:
    branch = f"slide-{secrets.token_hex(3)}"
    url = f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?token={pipeline.stack.token}"
    async with (
        websockets.connect(url) as ws,
        httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http,
    ):
        complaints = [
            {
                "text": "I am still waiting on my card?",
                "channel": "app",
                "branch": branch,
                "line": "sliding-test",
            }
            for _ in range(3)
        ]
        assert (
            await http.post("/api/v1/complaints/batch", json={"complaints": complaints})
        ).status_code == 202
        events = []
        deadline = time.monotonic() + 30
        while len(events) < 2:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"got {events}"
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if (
                message["alert"]["rule_id"] == "e2e-sliding"
                and message["alert"]["group"].get("branch") == branch
            ):
                events.append(message)
    # Both windows holding the burst crossed: the first fired, the second is a repeat of it.
    assert [m["event"] for m in events] == ["fired", "updated"]
    assert events[1]["alert"]["alert_id"] == events[0]["alert"]["alert_id"]
    assert events[1]["alert"]["occurrences"] == 2 and events[1]["alert"]["count"] == 3
