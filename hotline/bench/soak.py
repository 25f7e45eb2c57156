"""``hotline bench soak``: a steady complaint rate held for minutes against a running stack.

Complaints are sent open-loop: batch k is due at ``start + k * batch / rate`` whatever the API's
answers, with several requests in flight, so a slow stack shows as latency (measured from the due
time, not the moment a request finally went out) instead of silently lowering the offered rate.
Each complaint carries this run's branch; a thread polls ClickHouse for the accepted ones, so the
latency is POST due -> classified row visible. Every ``interval_s`` the run records throughput,
latency percentiles, errors, and each stack process's RSS and CPU (from ``/proc``); RSS is also
sampled every few seconds for the growth verdict (see ``hotline.bench.load_stats``). At the end it
waits for the backlog and counts missing and duplicate rows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from config.settings import Settings
from hotline.api_client import api_client
from hotline.bench.ingest_client import IngestClient
from hotline.bench.load_stats import RssThreshold, latency_summary, rss_growth
from hotline.bench.stack_processes import StackProcess, cpu_seconds, rss_mb, stack_processes
from hotline.bench.visibility import RowVisibility
from hotline.simulator import read_texts
from storage.clickhouse import DriverExecutor, branch_row_counts

__all__ = ["run_soak_bench"]

log = logging.getLogger(__name__)

#: Requests in flight at most; beyond this the sender falls behind schedule (reported as behind_s).
MAX_IN_FLIGHT = 16
POLL_S = 0.25
RSS_SAMPLE_S = 5.0
#: After the last POST, wait this long at most for the backlog to become visible.
DRAIN_TIMEOUT_S = 180.0
HTTP_TIMEOUT_S = 30.0
#: Logged ingest errors per interval at most (the counts are in the JSON).
MAX_ERRORS_LOGGED = 3
#: The rate counts as held when this share of it is stored and nothing is missing.
HELD_SHARE = 0.95


@dataclass
class _Counters:
    """What happened since the last interval ended."""

    accepted: int = 0
    failed: int = 0
    behind_s: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, n: int, why: str) -> None:
        self.failed += n
        if sum(self.errors.values()) < MAX_ERRORS_LOGGED:
            log.error("ingest failed for %d complaint(s): %s", n, why)
        self.errors[why[:60]] = self.errors.get(why[:60], 0) + n


class _ProcessSampler:
    """RSS every few seconds (growth), CPU time at interval ends (CPU %)."""

    def __init__(self, processes: list[StackProcess], started: float) -> None:
        self.processes = processes
        self._started = started
        self.rss: dict[str, list[tuple[float, float]]] = {p.label: [] for p in processes}
        self._cpu = {p.label: (time.time(), cpu_seconds(p.pid)) for p in processes}

    def sample_rss(self) -> dict[str, float]:
        now = time.time() - self._started
        current = {}
        for p in self.processes:
            value = rss_mb(p.pid)
            if value is not None:
                self.rss[p.label].append((now, value))
                current[p.label] = value
        return current

    def interval(self) -> dict[str, dict[str, float | None]]:
        """Each process's RSS now and its CPU % since the previous call."""
        rss = self.sample_rss()
        out: dict[str, dict[str, float | None]] = {}
        for p in self.processes:
            now, cpu = time.time(), cpu_seconds(p.pid)
            then, before = self._cpu[p.label]
            self._cpu[p.label] = (now, cpu)
            busy = None if cpu is None or before is None else 100 * (cpu - before) / max(now - then, 1e-9)
            value = rss.get(p.label)
            out[p.label] = {
                "rss_mb": None if value is None else round(value, 1),
                "cpu_pct": None if busy is None else round(busy, 1),
            }
        return out


async def _require_api(settings: Settings) -> None:
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(f"{settings.api_url}/healthz")
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise RuntimeError(
            f"no healthy API at {settings.api_url} ({exc}); start the stack first with `hotline up`"
        ) from exc


async def run_soak_bench(
    settings: Settings,
    *,
    rate: float,
    minutes: float,
    interval_s: float = 60.0,
    batch: int = 10,
    threshold: RssThreshold | None = None,
) -> dict[str, Any]:
    """Hold ``rate`` complaints/s for ``minutes`` against the running stack; the JSON-ready result."""
    await _require_api(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the progress
    threshold = threshold or RssThreshold()
    run = uuid.uuid4().hex[:10]
    branch = f"soak-{run}"
    texts = [t for group in read_texts(settings.bootstrap_data).values() for t in group]
    total = int(rate * minutes * 60)
    processes = stack_processes(settings)
    if not any(p.label.startswith("worker") for p in processes):
        log.warning("no `hotline worker` process found for %s: its RSS is not measured", settings.kafka_url)
    log.info("soak %s: %d complaints at %.0f/s; measuring %s", run, total, rate, [p.label for p in processes])

    visibility = RowVisibility(settings, run=run, branch=branch, poll_s=POLL_S)
    counters = _Counters()
    totals = _Counters()
    all_latencies: list[float] = []
    intervals: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    started = time.time()
    sampler = _ProcessSampler(processes, started)
    visibility.start()
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    last_interval = started

    def close_interval() -> None:
        nonlocal counters, last_interval
        now = time.time()
        latencies = visibility.take()
        all_latencies.extend(latencies)
        span = max(now - last_interval, 1e-9)
        done, counters = counters, _Counters()
        record = {
            "t_s": round(now - started, 1),
            "accepted": done.accepted,
            "failed": done.failed,
            "stored": len(latencies),
            "accepted_per_s": round(done.accepted / span, 1),
            "stored_per_s": round(len(latencies) / span, 1),
            **latency_summary(latencies),
            "backlog": visibility.pending,
            "behind_max_s": round(done.behind_s, 3),
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "processes": sampler.interval(),
        }
        if done.errors:
            record["errors"] = done.errors
        intervals.append(record)
        last_interval = now
        memory = " ".join(f"{k}={v['rss_mb']}MB/{v['cpu_pct']}%" for k, v in record["processes"].items())
        print(  # the progress line, on stderr whatever the log level
            f"soak t={record['t_s']:.0f}s accepted {record['accepted_per_s']}/s "
            f"stored {record['stored_per_s']}/s "
            f"p50 {record['latency_p50_s']}s p99 {record['latency_p99_s']}s "
            f"failed {done.failed} backlog {record['backlog']} load {record['loadavg_1m']} {memory}",
            file=sys.stderr,
            flush=True,
        )

    async def tick() -> None:
        next_rss = next_interval = started
        while True:
            now = time.time()
            if now >= next_interval + interval_s:
                next_interval += interval_s
                close_interval()
            elif now >= next_rss + RSS_SAMPLE_S:
                next_rss += RSS_SAMPLE_S
                sampler.sample_rss()
            await asyncio.sleep(min(next_rss + RSS_SAMPLE_S, next_interval + interval_s) - time.time())

    async def post(ingest: IngestClient, chunk: list[dict[str, Any]], due: float) -> None:
        ids = [c["id"] for c in chunk]
        visibility.add(ids, due)
        try:
            response = await ingest.post_batch(chunk)
        except httpx.HTTPError as exc:
            visibility.discard(ids)
            for c in (counters, totals):
                c.fail(len(chunk), type(exc).__name__)
            return
        finally:
            gate.release()
        if response.status_code != 202:
            visibility.discard(ids)
            for c in (counters, totals):
                c.fail(len(chunk), f"HTTP {response.status_code}: {response.text[:200]}")
            return
        counters.accepted += len(chunk)
        totals.accepted += len(chunk)

    ticker = asyncio.ensure_future(tick())
    requests: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    async with api_client(settings, timeout=HTTP_TIMEOUT_S, limits=limits) as client:
        ingest = IngestClient(client)
        for first in range(0, total, batch):
            due = started + first / rate
            await asyncio.sleep(max(0.0, due - time.time()))
            await gate.acquire()
            behind = time.time() - due
            counters.behind_s = max(counters.behind_s, behind)
            totals.behind_s = max(totals.behind_s, behind)
            chunk = [
                {"id": f"{run}-{i}", "text": texts[i % len(texts)], "channel": "web", "branch": branch}
                for i in range(first, min(total, first + batch))
            ]
            task = asyncio.ensure_future(post(ingest, chunk, due))
            requests.add(task)
            task.add_done_callback(requests.discard)
        await asyncio.gather(*requests)
    post_done = time.time()
    ticker.cancel()
    if post_done - last_interval >= 1.0:
        close_interval()
    deadline = post_done + DRAIN_TIMEOUT_S
    while visibility.pending and time.time() < deadline:
        await asyncio.sleep(POLL_S)
    await asyncio.sleep(2 * POLL_S)
    visibility.stop()
    all_latencies.extend(visibility.take())
    finished = time.time()
    rows, distinct = await asyncio.get_running_loop().run_in_executor(
        None, lambda: branch_row_counts(DriverExecutor.from_url(settings.clickhouse_url), branch=branch)
    )
    load_s = post_done - started
    stored_per_s = visibility.seen / max(load_s, visibility.last_seen_at - started, 1e-9)
    warmup_s = min(interval_s, load_s / 2)
    per_process = {
        p.label: {"pid": p.pid, **rss_growth(sampler.rss[p.label], warmup_s=warmup_s, threshold=threshold)}
        for p in processes
    }
    missing = totals.accepted - visibility.seen
    return {
        "bench": "soak",
        "rate_target": rate,
        "minutes": minutes,
        "interval_s": interval_s,
        "batch": batch,
        "sent": total,
        "accepted": totals.accepted,
        "failed": totals.failed,
        "errors": totals.errors,
        "visible": visibility.seen,
        "missing": missing,
        "rows_stored": rows,
        "duplicates": rows - distinct,
        "accepted_per_s": round(totals.accepted / max(load_s, 1e-9), 1),
        "stored_per_s": round(stored_per_s, 1),
        **latency_summary(all_latencies),
        "behind_max_s": round(totals.behind_s, 3),
        "drain_s": round(finished - post_done, 1),
        "rate_held": missing == 0 and totals.failed == 0 and stored_per_s >= HELD_SHARE * rate,
        "held_rule": f"nothing failed or missing and stored >= {HELD_SHARE:.0%} of the rate",
        "warmup_s": round(warmup_s, 1),
        "flat_rss_threshold": threshold.as_dict(),
        "flat_rss": {label: g["flat_rss"] for label, g in per_process.items()},
        "processes": per_process,
        "intervals": intervals,
        "poll_resolution_s": POLL_S,
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cores": os.cpu_count(),
        # As this process reads them: start the stack with the same environment.
        "stack": {
            "broker_kind": settings.broker_kind,
            "topic_partitions": settings.topic_partitions,
            "ingest_linger_ms": settings.ingest_linger_ms,
        },
    }
