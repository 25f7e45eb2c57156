"""Redis stopped and restarted under a stream of regulator-forwarded complaints (issue 7).

Every forwarded complaint raises one alert. Alerts raised while Redis is down wait in the worker
(retried with backoff) and land in the Redis Stream once it is back; a websocket client that
reconnects with the last stream id it saw gets every alert exactly once. The test runs its own
redis-server (AOF on, as ``hotline services start`` and docker-compose run it) on its own port and
data dir, stops it with SIGTERM and starts it again on the same port and data. About a minute.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hotline.local_services import redis_server
from storage.alert_stream import AlertStream
from tests.conftest import Stack, free_port, hotline_cli
from tests.e2e.isolated_pipeline import IsolatedPipeline, isolated_pipeline

pytestmark = [pytest.mark.services, pytest.mark.outage]

RATE = 10  # forwarded complaints/s, before, during and after the outage
BEFORE_S = 8.0
OUTAGE_S = 25.0
AFTER_S = 8.0
N = int(RATE * (BEFORE_S + OUTAGE_S + AFTER_S))
RULES = """
rules:
  - id: restart-regulator
    kind: regulator_forwarded
    title: Regulator-forwarded (Redis restart test)
    severity: warning
"""


class AlertFeed(threading.Thread):
    """A /ws/alerts client that reconnects after every drop, resuming after the last id it got."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url = url.replace("http://", "ws://") + "/ws/alerts"
        self.token = token
        self.messages: list[dict] = []
        self.resumed_from: list[str] = []  # last_id of each connection
        self.close_codes: list[int | None] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._follow())

    async def _follow(self) -> None:
        last_id = "0-0"
        while not self.stopping.is_set():
            try:
                async with connect(f"{self.url}?token={self.token}&last_id={last_id}", open_timeout=10) as ws:
                    self.resumed_from.append(last_id)
                    while not self.stopping.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        message = json.loads(raw)
                        self.messages.append(message)
                        last_id = message["stream_id"]
            except ConnectionClosed as exc:
                self.close_codes.append(exc.rcvd.code if exc.rcvd is not None else None)
            except Exception:  # API busy or restarting, Redis refused the handshake: try again
                self.close_codes.append(None)
            await asyncio.sleep(0.5)

    def complaint_ids(self) -> list[str]:
        return [m["alert"]["complaint_id"] for m in self.messages]


def _ingest_token(pipeline: IsolatedPipeline) -> str:
    """A stored ``ingest`` token, as a gateway would use (resolved through Redis, unlike the admin's)."""
    created = hotline_cli(
        "tokens", "create", "--name", "gateway", "--role", "ingest", env=pipeline.env, timeout=60
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def _send_forwarded(
    token: str, pipeline: IsolatedPipeline, ids: list[str], accepted: list[str], failures: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=pipeline.url, headers=headers, timeout=30) as client:
        started = time.monotonic()
        for n, complaint_id in enumerate(ids):
            body = {
                "id": complaint_id,
                "text": "The regulator forwarded my complaint about a blocked card",
                "channel": "regulator",
                "regulator_forwarded": True,
                "regulator_ref": f"ref-{n}",
            }
            try:
                response = client.post("/api/v1/complaints", json=body)
                if response.status_code == 202:
                    accepted.append(complaint_id)
                else:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            time.sleep(max(0.0, started + (n + 1) / RATE - time.monotonic()))


def _wait_for(what: str, condition, timeout: float, pipeline: IsolatedPipeline) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        pipeline.assert_running()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_redis_restart_keeps_every_alert_once(stack: Stack, tmp_path: Path) -> None:
    run = secrets.token_hex(3)
    redis_state = tmp_path / "redis-state"
    redis_url = f"redis://127.0.0.1:{free_port()}/0"
    print(redis_server.start(redis_state, redis_url))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    ids = [f"redis-restart-{run}-{i}" for i in range(N)]
    try:
        with isolated_pipeline(
            stack.env,
            tmp_path / "logs",
            HOTLINE_REDIS_URL=redis_url,
            HOTLINE_RULES_PATH=str(rules),
            HOTLINE_ALERT_STORE_BACKOFF_MAX_S="2",
        ) as pipeline:
            feed = AlertFeed(pipeline.url, pipeline.env["HOTLINE_API_TOKEN"])
            feed.start()
            # The worker is up (its first alert reached the websocket) before the stream starts.
            warmup = f"redis-restart-{run}-warmup"
            ingest = _ingest_token(pipeline)
            _send_forwarded(ingest, pipeline, [warmup], [], [])
            _wait_for("the worker's first alert", lambda: warmup in feed.complaint_ids(), 120, pipeline)
            accepted: list[str] = [warmup]
            failures: list[str] = []
            sender = threading.Thread(
                target=_send_forwarded, args=(ingest, pipeline, ids, accepted, failures)
            )
            sender.start()
            try:
                time.sleep(BEFORE_S)
                _wait_for("alerts before the outage", lambda: len(feed.messages) > RATE, 60, pipeline)
                print(redis_server.stop(redis_state))
                stopped_at = time.monotonic()
                log_offset = len(pipeline.log("worker"))

                # While down: /readyz answers promptly, 503, naming Redis; the worker keeps running.
                time.sleep(3)
                asked = time.monotonic()
                ready = httpx.get(f"{pipeline.url}/readyz", headers=pipeline.auth(), timeout=20)
                assert time.monotonic() - asked < 10, "readyz hung on the Redis outage"
                assert ready.status_code == 503, ready.text
                assert ready.json()["checks"]["redis"] != "ok", ready.json()
                assert ready.json()["checks"]["broker"] == "ok", ready.json()
                # A route that needs Redis says so (503), rather than failing with a 500.
                alert_id = feed.messages[0]["alert"]["alert_id"]
                one = httpx.get(
                    f"{pipeline.url}/api/v1/alerts/{alert_id}", headers=pipeline.auth(), timeout=20
                )
                assert one.status_code == 503, one.text
                assert "Redis" in one.json()["detail"]
                while time.monotonic() < stopped_at + OUTAGE_S:
                    pipeline.assert_running()
                    time.sleep(1)
                outage_log = pipeline.log("worker")[log_offset:]
                print(redis_server.start(redis_state, redis_url))

                sender.join(AFTER_S + 60)
                assert not sender.is_alive(), "the sender stalled"
                # Ingest needs the broker only: the gateway's token keeps its cached answer and the rate
                # limit (counted in Redis) fails open meanwhile.
                assert failures == [], failures[:5]
                assert "rate limit not enforced" in pipeline.log("api")
                assert len(accepted) == N + 1
                _wait_for(
                    f"alerts for all {N} complaints on the websocket",
                    lambda: set(feed.complaint_ids()) >= set(accepted),
                    120,
                    pipeline,
                )
                time.sleep(3)  # a duplicate, if any, would have arrived by now
            finally:
                feed.stopping.set()
                feed.join(10)

            # Every complaint's alert exactly once, in stream order, across the reconnects.
            received = feed.complaint_ids()
            assert sorted(received) == sorted(accepted), (len(received), len(accepted))
            stream_ids = [m["stream_id"] for m in feed.messages]
            assert len(set(stream_ids)) == len(stream_ids)
            assert stream_ids == sorted(stream_ids, key=lambda i: tuple(map(int, i.split("-"))))
            # The client was dropped with "try again later" and resumed from where it was.
            assert 1013 in feed.close_codes, feed.close_codes
            assert len(feed.resumed_from) >= 2 and feed.resumed_from[-1] != "0-0", feed.resumed_from
            # Alerts of complaints processed during the outage waited in the worker, one line per retry.
            assert "Redis unreachable" in outage_log, outage_log[-3000:]
            assert "Traceback" not in outage_log, outage_log[-5000:]

            # The stream itself (AOF kept what came before the stop) holds each alert once.
            alerts = AlertStream(
                redis.asyncio.Redis.from_url(redis_url), key_prefix=pipeline.env["HOTLINE_REDIS_KEY_PREFIX"]
            )
            stored = [alert["complaint_id"] for _, alert in asyncio.run(alerts.latest(10 * N))]
            assert sorted(stored) == sorted(accepted)
            ready = httpx.get(f"{pipeline.url}/readyz", headers=pipeline.auth(), timeout=20)
            assert ready.status_code == 200, ready.text
    finally:
        print(redis_server.stop(redis_state))
