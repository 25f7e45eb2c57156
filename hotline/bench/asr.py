"""``hotline bench asr``: concurrent live calls at real-time pace through ``/ws/calls`` of a running stack.

For N = ``--streams``, then one call fewer each time, N vosk-server style clients each stream
``--seconds`` of Korean speech (espeak-ng + sox, 8 kHz) in 0.2 s frames at the pace of a real
call; call i starts
``--stagger`` seconds after call i-1 (calls arrive one by one, not in the same instant), and the
frames of different calls are spread within the frame period. A frame's lag is the time from the
moment its audio existed (the scheduled send time) to the arrival of its reply; the result is the
largest N whose p95 lag stays under 1 s, with the worker's CPU time per second of audio and its
memory (RSS). The sweep stops at the first level that meets the target. Each level records the
machine's 1-minute load average before and after it: on a shared machine, others' load is the
first thing to check when a level misses.

A worker keeps finished calls' recognizers warm for the next calls (see ``asr.recognizer_pool``);
a fresh recognizer costs about twice the CPU in its first seconds. So that every level measures
the steady state of a worker that has taken calls before, the sweep starts with an unmeasured
warm-up of ``--streams`` calls; its numbers are reported apart, as ``warmup`` (the cold start).
Then ``transcript_quality``: word and character error rates on utterances with known text
(``asr_quality``), free and with a phrase list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

from asr import frame_bytes, split_frames
from config.settings import Settings
from hotline.api_client import call_url
from hotline.bench.asr_quality import transcript_quality
from hotline.bench.asr_speech import KOREAN_SENTENCES, synthesize_speech
from hotline.bench.load_stats import percentile
from hotline.bench.stack_processes import cpu_seconds, find_process, rss_mb

__all__ = ["find_process", "run_asr_bench"]

log = logging.getLogger(__name__)

FRAME_S = 0.2
SAMPLE_RATE = 8000
#: A level passes while the p95 lag of its replies stays under this.
LAG_TARGET_S = 1.0
#: Concurrent live calls one 2-core machine should carry (issue 4).
TARGET_STREAMS = 6
#: Seconds of audio per warm-up call.
WARMUP_S = 20.0
#: How long to wait for the final result after eof, and for any reply, before giving up.
FINAL_TIMEOUT_S = 30.0
RSS_SAMPLE_S = 0.5


@dataclass
class _Stream:
    scheduled: list[float] = field(default_factory=list)
    received: list[float] = field(default_factory=list)
    results: int = 0
    error: str | None = None


async def _one_call(url: str, frames: list[bytes], offset: float, stream: _Stream) -> None:
    try:
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(json.dumps({"config": {"sample_rate": SAMPLE_RATE}}))
            start = time.monotonic() + offset

            async def receive() -> None:
                while len(stream.received) < len(frames):
                    reply = json.loads(await asyncio.wait_for(ws.recv(), FINAL_TIMEOUT_S))
                    if "error" in reply:
                        raise RuntimeError(reply["error"])
                    stream.received.append(time.monotonic())
                    stream.results += "text" in reply

            receiver = asyncio.ensure_future(receive())
            for index, frame in enumerate(frames):
                due = start + index * FRAME_S
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                stream.scheduled.append(due)
                await ws.send(frame)
            await receiver
            await ws.send('{"eof" : 1}')
            await asyncio.wait_for(ws.recv(), FINAL_TIMEOUT_S)
    except Exception as exc:
        stream.error = f"{type(exc).__name__}: {exc}"


async def _level(
    settings: Settings,
    run: str,
    n: int,
    pcm: bytes,
    seconds: float,
    stagger_s: float,
    pids: dict[str, int | None],
) -> dict[str, Any]:
    size = frame_bytes(SAMPLE_RATE, FRAME_S)
    all_frames = list(split_frames(pcm, size))
    per_call = int(seconds / FRAME_S)
    streams = [_Stream() for _ in range(n)]
    rss: dict[str, float] = {}

    async def sample_rss() -> None:
        while True:
            for role, pid in pids.items():
                value = rss_mb(pid)
                if value is not None:
                    rss[role] = max(rss.get(role, 0.0), value)
            await asyncio.sleep(RSS_SAMPLE_S)

    cpu_before = {role: cpu_seconds(pid) for role, pid in pids.items()}
    sampler = asyncio.ensure_future(sample_rss())
    calls = []
    for i in range(n):
        # Each call starts elsewhere in the speech, and frames of different calls are spread evenly.
        first = (i * len(all_frames)) // max(n, 1)
        frames = [all_frames[(first + k) % len(all_frames)] for k in range(per_call)]
        url = call_url(settings, f"bench-{run}-{n}-{i}")
        calls.append(_one_call(url, frames, 0.5 + i * stagger_s + (i % 5) * FRAME_S / 5, streams[i]))
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    await asyncio.gather(*calls)
    wall = time.monotonic() - started
    sampler.cancel()
    cpu_after = {role: cpu_seconds(pid) for role, pid in pids.items()}

    lags = [r - s for st in streams for s, r in zip(st.scheduled, st.received, strict=False)]
    audio_s = n * per_call * FRAME_S
    cpu = {
        role: round((cpu_after[role] - before) / audio_s, 4)
        for role, before in cpu_before.items()
        if before is not None and cpu_after[role] is not None
    }
    errors = [st.error for st in streams if st.error]
    p50, p95 = percentile(lags, 0.5), percentile(lags, 0.95)
    return {
        "streams": n,
        "audio_s_per_stream": round(per_call * FRAME_S, 1),
        "frames": sum(len(st.scheduled) for st in streams),
        "replies": sum(len(st.received) for st in streams),
        "finals": sum(st.results for st in streams),
        "lag_p50_s": round(p50, 3) if p50 is not None else None,
        "lag_p95_s": round(p95, 3) if p95 is not None else None,
        "lag_max_s": round(max(lags), 3) if lags else None,
        "cpu_s_per_audio_s": cpu,
        "rss_mb": {role: round(value, 1) for role, value in rss.items()},
        "wall_s": round(wall, 1),
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "errors": errors[:3],
        "ok": not errors and p95 is not None and p95 < LAG_TARGET_S,
    }


async def run_asr_bench(
    settings: Settings,
    *,
    streams: int,
    seconds: float,
    start: int = 1,
    step: int = 1,
    stagger_s: float = 1.0,
    warm: bool = True,
    quality: bool = True,
    worker_pid: int | None = None,
    api_pid: int | None = None,
) -> dict[str, Any]:
    """Try N = streams, streams - step, ... down to ``start``; the first N that meets the lag target
    is the answer (going down, the sweep is short when the capacity is high, and a shared machine's
    load has less time to change under it)."""
    pids = {
        "worker": worker_pid or find_process("worker", settings),
        "api": api_pid or find_process("api", settings),
    }
    if pids["worker"] is None:
        log.warning(
            "no `hotline worker` process found for %s: CPU and RSS are not measured", settings.kafka_url
        )
    pcm = synthesize_speech(KOREAN_SENTENCES, sample_rate=SAMPLE_RATE)
    run = uuid.uuid4().hex[:8]
    warmup = None
    if warm:
        warmup = await _level(settings, f"{run}w", streams, pcm, WARMUP_S, stagger_s, pids)
        log.info("warm-up with %d cold call(s): p95 lag %s s", streams, warmup["lag_p95_s"])
    levels = []
    for n in range(streams, start - 1, -step):
        result = await _level(settings, run, n, pcm, seconds, stagger_s, pids)
        log.info(
            "%d stream(s): p95 lag %s s, worker %s CPU-s per audio-s",
            n,
            result["lag_p95_s"],
            result["cpu_s_per_audio_s"].get("worker"),
        )
        levels.append(result)
        if result["ok"]:
            break
    passing = [lv for lv in levels if lv["ok"]]
    best = passing[0] if passing else None
    worker_cpu = [lv["cpu_s_per_audio_s"]["worker"] for lv in levels if "worker" in lv["cpu_s_per_audio_s"]]
    return {
        "benchmark": "asr",
        "max_streams_p95_lag_under_1s": best["streams"] if best else 0,
        "target_streams": TARGET_STREAMS,
        "target_met": bool(best and best["streams"] >= TARGET_STREAMS),
        "seconds_per_stream": seconds,
        "stagger_s": stagger_s,
        "worker_cpu_s_per_audio_s": round(statistics.median(worker_cpu), 4) if worker_cpu else None,
        "worker_rss_mb": max((lv["rss_mb"].get("worker", 0.0) for lv in levels), default=None),
        "api_rss_mb": max((lv["rss_mb"].get("api", 0.0) for lv in levels), default=None),
        "warmup": warmup,
        "pids": pids,
        "cores": os.cpu_count(),
        "levels": levels,
        "transcript_quality": await transcript_quality(settings) if quality else None,
    }
