"""ClickHouse stopped for 60 s under steady load: the worker buffers within its bound, pauses intake,
retries with backoff, and afterwards ClickHouse holds every complaint exactly once (issue 7).

The test runs its own clickhouse-server (own data dir and port) so stopping it disturbs no other test.
Takes about two minutes.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis

from storage.alert_stream import AlertStream
from storage.clickhouse import DriverExecutor, apply_migrations, count_complaints
from storage.clickhouse.alert_queries import alert_history
from tests.conftest import Stack
from tests.e2e.isolated_pipeline import (
    CARD_ARRIVAL_TEXT,
    IsolatedPipeline,
    isolated_pipeline,
    own_clickhouse,
    threshold_rules,
)

# ~2.5 min here; the margin is for a loaded CI machine (the suite default is 300 s).
pytestmark = [pytest.mark.services, pytest.mark.outage, pytest.mark.timeout(600)]

RATE = 25  # complaints/s, before, during and after the outage
BEFORE_S = 10.0
OUTAGE_S = 60.0
AFTER_S = 10.0
CHUNK = 5  # complaints per POST
#: Small sink bound so that the outage's ~1500 complaints fill it and backpressure shows.
BUFFER_BOUND = 300
CLASSIFY_BATCH = 50
N = int(RATE * (BEFORE_S + OUTAGE_S + AFTER_S)) // CHUNK * CHUNK
#: A forwarded complaint sent during the outage raises an alert at once (Redis is up); its archive
#: row in ClickHouse ``alert_events`` must arrive once ClickHouse is back.
REGULATOR_RULE = """
  - id: outage-regulator
    kind: regulator_forwarded
    title: Regulator-forwarded during the outage
    severity: warning
"""


def _send_steadily(
    url: str, headers: dict[str, str], ids: list[str], branch: str, failures: list[str]
) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        started = time.monotonic()
        for first in range(0, len(ids), CHUNK):
            chunk = [
                {"id": i, "text": CARD_ARRIVAL_TEXT, "channel": "app", "branch": branch}
                for i in ids[first : first + CHUNK]
            ]
            try:
                response = client.post("/api/v1/complaints/batch", json={"complaints": chunk})
                if response.status_code != 202:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            time.sleep(max(0.0, started + (first + CHUNK) / RATE - time.monotonic()))


def _alerts(pipeline: IsolatedPipeline) -> list[dict]:
    stream = AlertStream(
        redis.asyncio.Redis.from_url(pipeline.env["HOTLINE_REDIS_URL"]),
        key_prefix=pipeline.env["HOTLINE_REDIS_KEY_PREFIX"],
    )
    return [alert for _, alert in asyncio.run(stream.latest(100))]


def _archived(url: str, alert_id: str) -> list[dict]:
    executor = DriverExecutor.from_url(url, connect_timeout=2)
    try:
        return alert_history(executor, alert_id)
    finally:
        executor.close()


def _count(url: str, ids: list[str]) -> int:
    executor = DriverExecutor.from_url(url, connect_timeout=2)
    try:
        return count_complaints(executor, ids)
    finally:
        executor.close()


def test_clickhouse_outage_under_load_loses_and_repeats_nothing(stack: Stack, tmp_path: Path) -> None:
    run = secrets.token_hex(3)
    branch = f"chdown-{run}"
    rules = tmp_path / "rules.yaml"
    rules.write_text(threshold_rules(branch, N) + REGULATOR_RULE)
    ids = [f"{branch}-{i}" for i in range(N)]
    with own_clickhouse(tmp_path / "clickhouse-state", f"hotline_outage_{run}") as server:
        ch_url = server.url
        with isolated_pipeline(
            stack.env,
            tmp_path / "logs",
            **server.env(),
            HOTLINE_RULES_PATH=str(rules),
            HOTLINE_SINK_MAX_BUFFER_ROWS=str(BUFFER_BOUND),
            HOTLINE_SINK_BATCH_ROWS="100",
            HOTLINE_SINK_RETRY_MAX_S="4",
            HOTLINE_CLASSIFY_BATCH_SIZE=str(CLASSIFY_BATCH),
        ) as pipeline:
            executor = DriverExecutor.from_url(ch_url)
            apply_migrations(executor)  # the worker applies them too; counting may start first
            executor.close()
            warmup = f"{branch}-warmup"
            response = httpx.post(
                f"{pipeline.url}/api/v1/complaints",
                headers=pipeline.auth(),
                json={"id": warmup, "text": "hello", "channel": "web", "branch": f"w{run}"},
            )
            assert response.status_code == 202, response.text
            pipeline.wait_for("the worker to store a complaint", lambda: _count(ch_url, [warmup]) == 1, 90)

            failures: list[str] = []
            sender = threading.Thread(
                target=_send_steadily, args=(pipeline.url, pipeline.auth(), ids, branch, failures)
            )
            sender.start()
            time.sleep(BEFORE_S)
            stored_before = _count(ch_url, ids)
            server.stop()
            stopped_at = time.monotonic()
            log_offset = len(pipeline.log("worker"))

            # While down: /readyz names ClickHouse, everything else stays ready, the worker keeps running.
            time.sleep(5)
            ready = httpx.get(f"{pipeline.url}/readyz", headers=pipeline.auth(), timeout=20)
            assert ready.status_code == 503, ready.text
            checks = ready.json()["checks"]
            assert checks["clickhouse"] != "ok", checks
            assert {k: v for k, v in checks.items() if k != "clickhouse"} == {
                "broker": "ok",
                "redis": "ok",
                "model": "ok",
            }
            # An alert raised meanwhile reaches Redis now and the ClickHouse archive later.
            response = httpx.post(
                f"{pipeline.url}/api/v1/complaints",
                headers=pipeline.auth(),
                json={"id": f"{branch}-forwarded", "text": "forwarded", "channel": "regulator"},
            )
            assert response.status_code == 202, response.text

            def regulator_alerts() -> list[dict]:
                return [a for a in _alerts(pipeline) if a["rule_id"] == "outage-regulator"]

            pipeline.wait_for("the forwarded complaint's alert", regulator_alerts, 30)
            forwarded_alert_id = regulator_alerts()[0]["alert_id"]
            while time.monotonic() < stopped_at + OUTAGE_S:
                pipeline.assert_running()
                time.sleep(1)
            outage_log = pipeline.log("worker")[log_offset:]
            server.start()

            sender.join(OUTAGE_S + AFTER_S + 60)
            assert not sender.is_alive(), "the sender stalled"
            assert failures == [], failures[:5]  # ingest never depended on ClickHouse

            pipeline.wait_for(f"all {N} rows", lambda: _count(ch_url, ids) >= N, 180)
            time.sleep(3)  # redelivered duplicates, if any, would have landed by now
            assert _count(ch_url, ids) == N
            assert 0 < stored_before < N
            ready = httpx.get(f"{pipeline.url}/readyz", headers=pipeline.auth(), timeout=20)
            assert ready.status_code == 200, ready.text

            # The sink retried with backoff, logging attempts (1, 2, 4, 8, ...) and no traceback storm.
            attempts = [
                int(a) for a in re.findall(r"complaints sink: write attempt (\d+) failed", outage_log)
            ]
            assert attempts and attempts == sorted(attempts), outage_log[-3000:]
            assert len(attempts) <= 12, attempts
            assert outage_log.count("Traceback") <= 2, outage_log[-5000:]
            # Backpressure: the agent paused intake once the buffer reached its bound, and the buffer
            # never grew past the bound by more than the one micro-batch that crossed it.
            assert "pausing intake" in outage_log, outage_log[-3000:]
            buffered = [int(b) for b in re.findall(r"(\d+) rows buffered", outage_log)]
            held = [int(h) for h in re.findall(r"sink is full \((\d+) rows held\)", outage_log)]
            assert buffered and held, outage_log[-3000:]
            assert max(buffered + held) <= BUFFER_BOUND + CLASSIFY_BATCH, (buffered, held)
            assert "succeeded after" in pipeline.log("worker")[log_offset:]

            # Window counts: the exact-N rule fired once with N, the over-count rule never.
            def threshold_alerts() -> list[dict]:
                return [a for a in _alerts(pipeline) if a["rule_id"] != "outage-regulator"]

            pipeline.wait_for("the exact-N alert", threshold_alerts, 60)
            time.sleep(3)
            alerts = threshold_alerts()
            assert [a["rule_id"] for a in alerts] == ["outage-exact"], alerts
            assert alerts[0]["count"] == N
            # The alert archive fell behind during the outage and caught up after it, once.
            assert "alert archive to ClickHouse failed" in outage_log, outage_log[-3000:]
            assert outage_log.count("alert archive to ClickHouse failed") <= 8  # 1, 2, 4, ... 64
            pipeline.wait_for("the archived alert", lambda: _archived(ch_url, forwarded_alert_id), 60)
            assert [row["event"] for row in _archived(ch_url, forwarded_alert_id)] == ["fired"]


def test_a_worker_started_while_clickhouse_is_down_waits_for_it(stack: Stack, tmp_path: Path) -> None:
    """A worker (re)started during an outage waits for ClickHouse instead of crash-looping."""
    run = secrets.token_hex(3)
    state = tmp_path / "clickhouse-state"
    with (
        own_clickhouse(state, f"hotline_late_{run}", started=False) as server,
        isolated_pipeline(
            stack.env, tmp_path / "logs", **server.env(), HOTLINE_SINK_RETRY_MAX_S="2"
        ) as pipeline,
    ):
        pipeline.wait_for(
            "the worker to wait for ClickHouse",
            lambda: "ClickHouse unreachable at start" in pipeline.log("worker"),
            90,
        )
        complaint = f"late-{run}"
        response = httpx.post(
            f"{pipeline.url}/api/v1/complaints",
            headers=pipeline.auth(),
            json={"id": complaint, "text": CARD_ARRIVAL_TEXT, "channel": "app"},
        )
        assert response.status_code == 202, response.text
        time.sleep(3)
        pipeline.assert_running()  # still waiting, not crashed
        server.start()
        pipeline.wait_for(
            "the worker's migrations",
            lambda: "applied ClickHouse migrations" in pipeline.log("worker"),
            120,
        )
        pipeline.wait_for("the complaint's row", lambda: _count(server.url, [complaint]) == 1, 120)
