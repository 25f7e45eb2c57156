"""``hotline bench alerts``: complaint POST to alert received on ``/ws/alerts``, at a steady rate.

Every complaint the benchmark sends is regulator-forwarded, so each one must fire its own alert at
once (the ``regulator_forwarded`` rule): the latency measured is the whole alert path - ingest,
broker, the worker's complaint agent, the alert store's atomic raise in Redis, the websocket feed
- for every single complaint. The feed is read as the regulator desk, so only alerts count.

Afterwards (unless ``--keep``) the benchmark cleans up after itself: it resolves its alerts and
closes its complaints' tickets, so no deadline warnings fire for them later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
import uuid
from typing import Any

import httpx
import websockets
from aiokafka import AIOKafkaProducer

from config.settings import Settings
from events.ticket_records import TicketEvent
from events.topic_names import TICKETS
from hotline.api_client import api_client, ws_url
from hotline.bench.ingest_client import IngestClient
from hotline.bench.load_stats import percentile

__all__ = ["run_alerts_bench"]

log = logging.getLogger(__name__)

#: Complaints per ingest request: 50 requests a second at 500/s, like a ticket system forwarding.
BATCH = 10
CONCURRENCY = 8
#: Give up waiting for alerts this long after the last POST.
DRAIN_TIMEOUT_S = 30.0
CLEANUP_CONCURRENCY = 16


async def run_alerts_bench(
    settings: Settings, *, rate: float, seconds: float, keep: bool = False
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:10]
    total = int(rate * seconds)
    posted_at: dict[str, float] = {}
    received_at: dict[str, float] = {}
    fired_at: dict[str, float] = {}
    alert_ids: dict[str, str] = {}
    duplicates = 0
    failures = 0
    alerts_feed = ws_url(settings, "/ws/alerts", role="regulator_desk")

    async def listen(ws: Any) -> None:
        nonlocal duplicates
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            complaint_id = message["alert"].get("complaint_id") or ""
            if not complaint_id.startswith(run) or message["event"] != "fired":
                continue
            if complaint_id in received_at:
                duplicates += 1
                continue
            received_at[complaint_id] = now
            fired_at[complaint_id] = float(message["alert"]["fired_at"])
            alert_ids[complaint_id] = message["alert"]["alert_id"]

    async def sender(ingest: IngestClient, queue: asyncio.Queue[list[dict[str, Any]] | None]) -> None:
        nonlocal failures

        def stamp(chunk: list[dict[str, Any]]) -> None:
            sent = time.time()
            for item in chunk:
                posted_at[item["id"]] = sent

        while (chunk := await queue.get()) is not None:
            try:
                response = await ingest.post_batch(chunk, on_send=lambda chunk=chunk: stamp(chunk))
                answer = f"{response.status_code}: {response.text[:200]}"
                accepted = response.status_code == 202
            except httpx.HTTPError as exc:
                answer, accepted = repr(exc), False
            if not accepted:
                failures += len(chunk)
                for item in chunk:
                    posted_at.pop(item["id"], None)
                log.error("ingest failed: %s", answer)

    async with (
        websockets.connect(alerts_feed, max_size=1 << 22) as ws,
        api_client(settings, timeout=30) as http,
    ):
        listener = asyncio.ensure_future(listen(ws))
        queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=CONCURRENCY * 4)
        ingest = IngestClient(http)
        senders = [asyncio.ensure_future(sender(ingest, queue)) for _ in range(CONCURRENCY)]
        started = time.time()
        for first in range(0, total, BATCH):
            await asyncio.sleep(max(0.0, started + first / rate - time.time()))
            await queue.put(
                [
                    {
                        "id": f"{run}-{i}",
                        "text": "Complaint forwarded by the regulator (benchmark)",
                        "channel": "web",
                        "line": f"bench-{run}",
                        "regulator_forwarded": True,
                        "regulator_ref": f"bench-{run}",
                    }
                    for i in range(first, min(total, first + BATCH))
                ]
            )
        for _ in senders:
            await queue.put(None)
        await asyncio.gather(*senders)
        post_done = time.time()
        deadline = post_done + DRAIN_TIMEOUT_S
        while len(received_at) < len(posted_at) and time.time() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # a late duplicate would show by now
        listener.cancel()
        if not keep:
            await _clean_up(settings, http, run, list(posted_at), list(alert_ids.values()))

    latencies = [received_at[c] - posted_at[c] for c in received_at if c in posted_at]
    # Where the time goes: POST to the alert raised in the worker, then raised to received.
    raised = [fired_at[c] - posted_at[c] for c in fired_at if c in posted_at]
    fed = [received_at[c] - fired_at[c] for c in fired_at]
    return {
        "bench": "alerts",
        "rate_target": rate,
        "seconds": seconds,
        "sent": len(posted_at),
        "failed": failures,
        "alerts_received": len(received_at),
        "missing": len(posted_at) - len(received_at),
        "duplicates": duplicates,
        "post_rate": round(len(posted_at) / max(post_done - started, 1e-9), 1),
        "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "latency_p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "latency_max_s": round(max(latencies), 3) if latencies else None,
        "post_to_raised_p50_s": round(statistics.median(raised), 3) if raised else None,
        "post_to_raised_p99_s": round(percentile(raised, 0.99), 3) if raised else None,
        "raised_to_received_p50_s": round(statistics.median(fed), 3) if fed else None,
        "raised_to_received_p99_s": round(percentile(fed, 0.99), 3) if fed else None,
    }


async def _clean_up(
    settings: Settings, http: httpx.AsyncClient, run: str, complaint_ids: list[str], alert_ids: list[str]
) -> None:
    """Close the benchmark's tickets (no deadline alerts later) and resolve its alerts."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        now = time.time()
        for complaint_id in complaint_ids:
            event = TicketEvent(
                event_id=f"{complaint_id}:bench-close",
                complaint_id=complaint_id,
                kind="closed",
                at=now,
                actor="bench",
            )
            await producer.send(
                settings.topic(TICKETS), event.model_dump_json().encode(), key=complaint_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()
    gate = asyncio.Semaphore(CLEANUP_CONCURRENCY)

    async def resolve(alert_id: str) -> None:
        async with gate:
            await http.post(
                f"/api/v1/alerts/{alert_id}/resolve", json={"by": "bench", "note": f"benchmark {run}"}
            )

    await asyncio.gather(*(resolve(a) for a in alert_ids))
