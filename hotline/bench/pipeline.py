"""``hotline bench pipeline``: complaints through the running stack, POST to row visible in ClickHouse.

Each run tags its complaints with a branch of its own, so it can count exactly its rows while other
traffic (the simulator) goes on.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from typing import Any

import httpx

from hotline.bench.load_stats import percentile
from hotline.settings import Settings
from hotline.simulator import read_texts
from storage.clickhouse import DriverExecutor, visible_event_ids

__all__ = ["run_pipeline_bench"]

log = logging.getLogger(__name__)

#: Requests in flight at once: enough to keep the API busy, few enough not to starve the worker.
CONCURRENCY = 4
POLL_S = 0.1
#: Oldest posted-but-unseen ids asked about per poll; keeps each poll query small.
MAX_PENDING_POLLED = 5000
#: Give up waiting for rows this long after the last POST.
DRAIN_TIMEOUT_S = 120.0


async def run_pipeline_bench(
    settings: Settings, *, events: int, rate: float | None, batch: int
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:10]
    branch = f"bench-{run}"
    texts = [t for group in read_texts(settings.bootstrap_data).values() for t in group]
    posted_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=CONCURRENCY * 2)
    failures = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while (chunk := await queue.get()) is not None:
            sent = time.time()
            response = await client.post("/api/v1/complaints/batch", json={"complaints": chunk})
            if response.status_code != 202:
                failures += len(chunk)
                log.error("ingest answered %d: %s", response.status_code, response.text[:300])
                continue
            for item in chunk:
                posted_at[item["id"]] = sent

    def watch() -> None:
        executor = DriverExecutor.from_url(settings.clickhouse_url)
        deadline = None
        while len(seen_at) + failures < events:
            if deadline is None and len(posted_at) + failures >= events:
                deadline = time.time() + DRAIN_TIMEOUT_S
            if deadline is not None and time.time() > deadline:
                log.error("gave up: %d of %d rows visible", len(seen_at), events)
                return
            pending = [i for i in list(posted_at) if i not in seen_at][:MAX_PENDING_POLLED]
            if pending:
                now = time.time()
                for event_id in visible_event_ids(executor, branch=branch, among=pending):
                    seen_at.setdefault(event_id, now)
            time.sleep(POLL_S)

    watcher = asyncio.get_running_loop().run_in_executor(None, watch)
    started = time.time()
    async with httpx.AsyncClient(
        base_url=settings.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    ) as client:
        senders = [asyncio.ensure_future(sender(client)) for _ in range(CONCURRENCY)]
        for first in range(0, events, batch):
            chunk = [
                {"id": f"{run}-{i}", "text": texts[i % len(texts)], "channel": "web", "branch": branch}
                for i in range(first, min(events, first + batch))
            ]
            if rate:
                await asyncio.sleep(max(0.0, started + first / rate - time.time()))
            await queue.put(chunk)
            if first // batch % 20 == 0:
                log.info("queued %d/%d, visible %d", first + len(chunk), events, len(seen_at))
        for _ in senders:
            await queue.put(None)
        await asyncio.gather(*senders)
        post_done = time.time()
    await watcher
    latencies = [seen_at[i] - posted_at[i] for i in seen_at if i in posted_at]
    finished = max(seen_at.values(), default=time.time())
    return {
        "bench": "pipeline",
        "events": events,
        "rate_target": rate,
        "batch": batch,
        "accepted": len(posted_at),
        "visible": len(seen_at),
        "failed": failures,
        "post_events_per_s": round(len(posted_at) / max(post_done - started, 1e-9), 1),
        "events_per_s": round(len(seen_at) / max(finished - started, 1e-9), 1),
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "latency_p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "poll_resolution_s": POLL_S,
    }
