"""``hotline bench recordings``: recorded calls back-filled through ``POST /api/v1/calls``.

Each of ``--recordings`` WAV files holds ``--seconds`` of Korean speech (espeak-ng + sox, 8 kHz);
with ``--channels 2`` the caller and the agent take turns on their own channels, as a call
recorder writes them. The files are uploaded one after another, each timed from the upload to the
moment ``GET /api/v1/calls/{id}`` says it ended; ``speed_x`` is audio seconds per wall second (above
1: faster than real time, so a day's recordings fill in in less than a day). Progress is sampled
while it runs, so the result also says whether ``progress`` rose steadily.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from typing import Any

import httpx

from config.settings import Settings
from hotline.api_client import api_client
from hotline.bench.asr_speech import KOREAN_SENTENCES, interleave, synthesize_speech, wav_bytes

__all__ = ["run_recordings_bench"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
POLL_S = 0.25
#: Longest a recording may take before the run gives up on it (a stalled worker).
TIMEOUT_FACTOR = 4.0


def conversation(seconds: float, channels: int) -> bytes:
    """``seconds`` of speech: mono, or caller and agent taking turns on two channels."""
    sentence_pcm = [synthesize_speech([s], sample_rate=SAMPLE_RATE) for s in KOREAN_SENTENCES]
    wanted = int(seconds * SAMPLE_RATE) * 2
    caller, agent, total, turn = bytearray(), bytearray(), 0, 0
    while total < wanted:
        pcm = sentence_pcm[turn % len(sentence_pcm)]
        speaking, silent = (caller, agent) if channels == 1 or turn % 2 == 0 else (agent, caller)
        speaking += pcm
        silent += bytes(len(pcm))
        total += len(pcm)
        turn += 1
    if channels == 1:
        return bytes(caller[:wanted])
    return interleave(bytes(caller[:wanted]), bytes(agent[:wanted]))


async def _one(http: httpx.AsyncClient, wav: bytes, audio_s: float) -> dict[str, Any]:
    started = time.monotonic()
    response = await http.post("/api/v1/calls", content=wav, headers={"Content-Type": "audio/wav"})
    response.raise_for_status()
    status_url = response.json()["status_url"]
    progress: list[float] = []
    deadline = started + TIMEOUT_FACTOR * audio_s + 30
    while time.monotonic() < deadline:
        body = (await http.get(status_url)).json()
        progress.append(float(body.get("progress") or 0.0))
        if body.get("status") == "ended":
            wall = time.monotonic() - started
            return {
                "wall_s": round(wall, 3),
                "speed_x": round(audio_s / wall, 2),
                "utterances": body.get("utterance_count", 0),
                "progress_samples": len(progress),
                "progress_monotonic": progress == sorted(progress),
            }
        await asyncio.sleep(POLL_S)
    raise TimeoutError(f"{status_url} did not end within {deadline - started:.0f} s")


async def run_recordings_bench(
    settings: Settings, *, recordings: int, seconds: float, channels: int
) -> dict[str, Any]:
    pcm = conversation(seconds, channels)
    audio_s = len(pcm) / (2 * channels * SAMPLE_RATE)
    wav = wav_bytes(pcm, SAMPLE_RATE, channels=channels)
    runs = []
    async with api_client(settings, timeout=60) as http:
        for i in range(recordings):
            runs.append(await _one(http, wav, audio_s))
            log.info(
                "recording %d/%d: %.1f s of audio in %.1f s", i + 1, recordings, audio_s, runs[-1]["wall_s"]
            )
    return {
        "metric": "recordings",
        "recordings": recordings,
        "channels": channels,
        "audio_s": round(audio_s, 2),
        "wall_s_median": statistics.median(r["wall_s"] for r in runs),
        "speed_x_median": statistics.median(r["speed_x"] for r in runs),
        "speed_x_min": min(r["speed_x"] for r in runs),
        "faster_than_real_time": all(r["speed_x"] > 1 for r in runs),
        "runs": runs,
    }
