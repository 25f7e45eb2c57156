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

from config.settings import Settings
from hotline.api_client import api_client
from hotline.bench.cpu_accounting import cpu_per_complaint, take_cpu_snapshot
from hotline.bench.ingest_client import IngestClient
from hotline.bench.load_stats import percentile
from hotline.bench.stack_processes import stack_processes
from hotline.bench.visibility import RowVisibility
from hotline.simulator import read_texts

__all__ = ["run_pipeline_bench"]

log = logging.getLogger(__name__)

#: Requests in flight at once: enough to keep the API busy, few enough not to starve the worker.
CONCURRENCY = 4
POLL_S = 0.1
#: Give up waiting for rows this long after the last POST.
DRAIN_TIMEOUT_S = 120.0


async def run_pipeline_bench(
    settings: Settings, *, events: int, rate: float | None, batch: int
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:10]
    branch = f"bench-{run}"
    texts = [t for group in read_texts(settings.bootstrap_data).values() for t in group]
    visibility = RowVisibility(settings, run=run, branch=branch, poll_s=POLL_S)
    queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=CONCURRENCY * 2)
    accepted = failures = 0

    async def sender(ingest: IngestClient) -> None:
        nonlocal accepted, failures
        while (chunk := await queue.get()) is not None:
            ids = [item["id"] for item in chunk]
            try:
                response = await ingest.post_batch(
                    chunk, on_send=lambda ids=ids: visibility.add(ids, time.time())
                )
            except httpx.HTTPError as exc:
                visibility.discard(ids)
                failures += len(chunk)
                log.error("ingest failed: %r", exc)
                continue
            if response.status_code != 202:
                visibility.discard(ids)
                failures += len(chunk)
                log.error("ingest answered %d: %s", response.status_code, response.text[:300])
                continue
            accepted += len(chunk)

    processes = stack_processes(settings)
    cpu_before = take_cpu_snapshot(settings, processes)
    visibility.start()
    started = time.time()
    async with api_client(settings, timeout=30.0) as client:
        ingest = IngestClient(client)
        senders = [asyncio.ensure_future(sender(ingest)) for _ in range(CONCURRENCY)]
        for first in range(0, events, batch):
            chunk = [
                {"id": f"{run}-{i}", "text": texts[i % len(texts)], "channel": "web", "branch": branch}
                for i in range(first, min(events, first + batch))
            ]
            if rate:
                await asyncio.sleep(max(0.0, started + first / rate - time.time()))
            await queue.put(chunk)
            if first // batch % 20 == 0:
                log.info("queued %d/%d, visible %d", first + len(chunk), events, visibility.seen)
        for _ in senders:
            await queue.put(None)
        await asyncio.gather(*senders)
        post_done = time.time()
    deadline = time.time() + DRAIN_TIMEOUT_S
    while visibility.pending and time.time() < deadline:
        await asyncio.sleep(POLL_S)
    visibility.stop()
    cpu = cpu_per_complaint(cpu_before, take_cpu_snapshot(settings, processes), visibility.seen)
    if visibility.pending:
        log.error("gave up: %d of %d rows visible", visibility.seen, accepted)
    latencies = visibility.take()
    finished = visibility.last_seen_at or time.time()
    return {
        "bench": "pipeline",
        "events": events,
        "rate_target": rate,
        "batch": batch,
        "accepted": accepted,
        "visible": visibility.seen,
        "failed": failures,
        "throttled_requests": ingest.throttled,
        "post_events_per_s": round(accepted / max(post_done - started, 1e-9), 1),
        "events_per_s": round(visibility.seen / max(finished - started, 1e-9), 1),
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "latency_p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "poll_resolution_s": POLL_S,
        "cpu_us_per_complaint": cpu,
    }
