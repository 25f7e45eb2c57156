"""Surge and silence rules on the running worker: history in ClickHouse, a rule added by the API.

The complaints are written straight into ClickHouse with past arrival times (25 hours of steady
traffic), so the rollups hold what a live system would have; the rules are published through
``PUT /api/v1/rules``; the worker backfills the new rules from the rollups and must raise a surge
alert for the burst in the last closed minute and a silence alert for the line that went quiet.

Why more than a day of history: the detectors forecast with a daily profile (15-minute slots). With
three hours, the quiet period fell into slots never seen before, which learned its first zeros at
once, so whether the silence fired depended on the time of day the test ran.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

import httpx
import pytest
import websockets
import yaml

from storage.clickhouse import COMPLAINT_COLUMNS, DriverExecutor, count_complaints, normalize_complaint
from tests.conftest import Pipeline

pytestmark = pytest.mark.services

MINUTE = 60
HISTORY_MINUTES = 25 * 60


def _row(event_id: str, ts: float, *, dimension: str, tag: str, line: str) -> tuple[Any, ...]:
    row = normalize_complaint(
        {
            "event_id": event_id,
            "received_at": ts,
            "channel": "web",
            "line": line,
            "text": "test",
            "tag_dimensions": [dimension],
            "tags": [tag],
            "tag_confidences": [0.9],
            "tag_sources": ["model"],
        }
    )
    return tuple(row[c] for c in COMPLAINT_COLUMNS)


async def _executor(pipeline: Pipeline) -> DriverExecutor:
    """The stack's ClickHouse once the worker has created the tables."""
    deadline = time.monotonic() + 60
    while True:
        try:
            executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
            if executor.execute("EXISTS TABLE complaints")[0][0]:
                return executor
        except Exception:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.5)


async def _worker_consuming(pipeline: Pipeline, executor: DriverExecutor) -> None:
    """Wait until the worker stores a complaint: it is up and keeping pace (it may be restarting)."""
    probe = f"probe-{secrets.token_hex(4)}"
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http:
        r = await http.post("/api/v1/complaints", json={"id": probe, "text": "probe", "channel": "web"})
        assert r.status_code == 202
    deadline = time.monotonic() + 120
    while count_complaints(executor, [probe]) == 0:
        assert time.monotonic() < deadline, "the worker stored nothing within 120 s"
        await asyncio.sleep(0.5)


async def test_surge_and_silence_rules_fire_from_the_rollups(pipeline: Pipeline) -> None:
    await _worker_consuming(pipeline, await _executor(pipeline))
    run = secrets.token_hex(3)
    dimension, line_quiet, line_busy = f"surge-{run}", f"quiet-{run}", f"busy-{run}"
    now = time.time()
    this_minute = int(now // MINUTE) * MINUTE
    rows = []
    for minute in range(HISTORY_MINUTES, 1, -1):  # steady traffic up to the minute before last
        start = this_minute - minute * MINUTE
        n = 60 if minute == 2 else 2  # the burst: the last closed minute
        rows += [
            _row(f"{run}-s-{minute}-{k}", start + k * 0.5, dimension=dimension, tag="t1", line=line_busy)
            for k in range(n)
        ]
        if minute > 16:  # the quiet line stops 16 minutes ago
            rows += [
                _row(f"{run}-q-{minute}-{k}", start + 1 + k, dimension="other", tag="x", line=line_quiet)
                for k in range(3)
            ]
    executor = await _executor(pipeline)
    executor.insert("complaints", COMPLAINT_COLUMNS, rows)

    rules = [
        {"id": f"surge-{run}", "kind": "surge", "title": "Test surge", "severity": "warning",
         "dimension": dimension, "tag": "*", "bucket_seconds": 60, "warmup_days": 0.05},
        {"id": f"quiet-{run}", "kind": "silence", "title": "Test silence", "severity": "critical",
         "per": "line", "filters": {"line": [line_quiet]}, "bucket_seconds": 60, "quiet_seconds": 600,
         "warmup_days": 0.05},
    ]  # fmt: skip
    ws_url = f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?token={pipeline.stack.token}"
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http:
        original = (await http.get("/api/v1/rules")).json()
        document = yaml.safe_load(original["yaml"]) or {}
        document.setdefault("rules", []).extend(rules)
        async with websockets.connect(ws_url) as ws:
            r = await http.put("/api/v1/rules", json=document)
            assert r.status_code == 200, r.text
            try:
                got: dict[str, dict[str, Any]] = {}
                deadline = time.monotonic() + 90
                while len(got) < 2:
                    remaining = deadline - time.monotonic()
                    assert remaining > 0, f"only {sorted(got)} within 90 s"
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
                    except TimeoutError:
                        pytest.fail(f"only {sorted(got)} within 90 s")
                    if message["alert"]["rule_id"] in (f"surge-{run}", f"quiet-{run}"):
                        got.setdefault(message["alert"]["kind"], message["alert"])
            finally:
                await http.put(
                    "/api/v1/rules", content=original["yaml"], headers={"Content-Type": "application/yaml"}
                )
    surge, silence = got["surge"], got["silence"]
    assert surge["tag"] == "t1" and surge["observed"] >= 60 and surge["expected"] < 10
    assert surge["window_end"] == this_minute - MINUTE
    assert "t1: 60 complaints in 1 min" in surge["reason"]
    assert silence["group"] == {"line": line_quiet} and silence["observed"] == 0 and silence["expected"] >= 10
    assert silence["severity"] == "critical"
