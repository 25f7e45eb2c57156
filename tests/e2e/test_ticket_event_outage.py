"""Ticket events posted while ClickHouse is down: the deadline clocks in Redis take them at once, and
``ticket_events`` holds each exactly once after ClickHouse is back (issue 7).

Runs its own worker, API and ClickHouse (:mod:`tests.e2e.isolated_pipeline`); about a minute.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from storage.alert_tickets import TicketStore
from storage.clickhouse import DriverExecutor, apply_migrations
from tests.conftest import Stack
from tests.e2e.isolated_pipeline import IsolatedPipeline, isolated_pipeline, own_clickhouse

pytestmark = [pytest.mark.services, pytest.mark.outage, pytest.mark.timeout(300)]

OUTAGE_S = 12.0
#: Handling steps posted during the outage, in order; the last is posted twice (a client's retry).
STEPS = ("assigned", "paused", "resumed", "responded", "resolved", "closed")
#: The line the session's deadline rule covers: a complaint there gets its ticket opened on arrival.
DEADLINE_LINE = "deadline-test"


def _query(url: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    executor = DriverExecutor.from_url(url, connect_timeout=2)
    try:
        return executor.execute(sql, params)
    finally:
        executor.close()


def _archived(url: str, complaint_id: str) -> list[str]:
    """Kinds of the complaint's ``ticket_events`` rows as stored (no FINAL: a duplicate shows)."""
    rows = _query(url, "SELECT kind FROM ticket_events WHERE complaint_id = %(id)s", {"id": complaint_id})
    return sorted(str(kind) for (kind,) in rows)


def _clock_steps(pipeline: IsolatedPipeline, complaint_id: str) -> list[str]:
    """Kinds of the steps on the complaint's ticket in Redis (what the deadline clocks run on)."""

    async def read() -> str | None:
        client = aioredis.Redis.from_url(pipeline.env["HOTLINE_REDIS_URL"])
        try:
            return await TicketStore(client, key_prefix=pipeline.env["HOTLINE_REDIS_KEY_PREFIX"]).get(
                complaint_id
            )
        finally:
            await client.aclose()

    raw = asyncio.run(read())
    return [] if raw is None else [step[1] for step in orjson.loads(raw)["steps"]]


def _post(pipeline: IsolatedPipeline, path: str, body: dict[str, Any]) -> None:
    response = httpx.post(f"{pipeline.url}{path}", headers=pipeline.auth(), json=body, timeout=20)
    assert response.status_code == 202, response.text


def test_ticket_events_during_a_clickhouse_outage_are_archived_once(stack: Stack, tmp_path: Path) -> None:
    run = secrets.token_hex(3)
    warmup, complaint = f"tw-{run}", f"tc-{run}"
    with (
        own_clickhouse(tmp_path / "clickhouse-state", f"hotline_tickets_{run}") as server,
        isolated_pipeline(
            stack.env, tmp_path / "logs", **server.env(), HOTLINE_SINK_RETRY_MAX_S="2"
        ) as pipeline,
    ):
        executor = DriverExecutor.from_url(server.url)
        apply_migrations(executor)  # the worker applies them too; the queries below may come first
        executor.close()
        for cid in (warmup, complaint):  # both on clocks: only timed milestones are archived
            body = {"id": cid, "text": "Where is my money?", "channel": "web", "line": DEADLINE_LINE}
            _post(pipeline, "/api/v1/complaints", body)
        _post(pipeline, f"/api/v1/complaints/{warmup}/events", {"kind": "responded", "id": "r"})
        pipeline.wait_for("the archive to work", lambda: _archived(server.url, warmup) == ["responded"], 90)
        pipeline.wait_for(
            "the complaint's clocks", lambda: _clock_steps(pipeline, complaint) == ["received"], 30
        )

        server.stop()
        stopped_at = time.monotonic()
        log_offset = len(pipeline.log("worker"))
        for i, kind in enumerate(STEPS):
            _post(pipeline, f"/api/v1/complaints/{complaint}/events", {"kind": kind, "id": f"s{i}"})
        _post(
            pipeline,
            f"/api/v1/complaints/{complaint}/events",
            {"kind": STEPS[-1], "id": f"s{len(STEPS) - 1}"},
        )
        # The clocks move on without ClickHouse (a blocked agent would let deadline alerts fire falsely).
        pipeline.wait_for(
            "the clocks to take every step",
            lambda: _clock_steps(pipeline, complaint) == ["received", *STEPS],
            OUTAGE_S,
        )
        time.sleep(max(0.0, stopped_at + OUTAGE_S - time.monotonic()))
        outage_log = pipeline.log("worker")[log_offset:]
        assert "ticket_events sink: write attempt 1 failed" in outage_log, outage_log[-3000:]
        assert "not archived" not in outage_log, outage_log[-3000:]

        server.start()
        pipeline.wait_for(
            "the buffered rows", lambda: len(_archived(server.url, complaint)) >= len(STEPS), 120
        )
        time.sleep(3)  # a duplicate, if any, would have landed by now
        assert _archived(server.url, complaint) == sorted(STEPS)
        assert "ticket_events sink: write of" in pipeline.log("worker")[log_offset:]  # ... succeeded after
        # The compliance rollup counted each milestone once (the warm-up's and the complaint's).
        reached = _query(
            server.url, "SELECT kind, sum(reached) FROM ticket_milestones_hour GROUP BY kind", {}
        )
        assert {str(kind): int(n) for kind, n in reached} == {"responded": 2, "resolved": 1, "closed": 1}
