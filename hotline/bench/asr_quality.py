"""Transcript quality for ``hotline bench asr``: word and character error rate on utterances with
known text, each streamed as a call through ``/ws/calls`` as a vosk-server client does.

How the utterances are made: each sentence of ``KOREAN_SENTENCES`` (things a caller says on a
bank's complaint line) is spoken by espeak-ng's Korean voice and resampled by sox to 8 kHz PCM
s16le mono, then sent in 0.2 s frames. Synthetic speech is far from a real caller's, so the free
figures say how well the Korean model hears espeak, not how well it hears callers; the same
utterances with a ``phrase_list`` (keyword spotting, as connectors use it) show what a grammar
recovers. Error rates come from jiwer (the usual ASR scoring library); CER is the one that means
something for Korean and Chinese, whose word boundaries are loose or absent.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

import jiwer
import websockets

from asr import frame_bytes, split_frames
from config.settings import Settings
from hotline.api_client import call_url
from hotline.bench.asr_speech import KOREAN_SENTENCES, synthesize_speech

__all__ = ["HOW_MADE", "transcript_quality"]

HOW_MADE = (
    "KOREAN_SENTENCES spoken by espeak-ng's Korean voice, resampled by sox to 8 kHz s16le mono, "
    "streamed in 0.2 s frames through /ws/calls, one call per sentence"
)
SAMPLE_RATE = 8000
REPLY_TIMEOUT_S = 60.0


async def _transcribe(url: str, pcm: bytes, config: dict[str, Any]) -> str:
    """The call's text: every final result and the answer to eof, in order."""
    texts = []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"config": {"sample_rate": SAMPLE_RATE, **config}}, ensure_ascii=False))
        for frame in split_frames(pcm, frame_bytes(SAMPLE_RATE, 0.2)):
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
            if "error" in reply:
                raise RuntimeError(reply["error"])
            texts.append(reply.get("text", ""))
        await ws.send('{"eof" : 1}')
        texts.append(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)).get("text", ""))
    return " ".join(t for t in texts if t)


def _rates(references: list[str], hypotheses: list[str]) -> dict[str, float]:
    return {
        "wer": round(jiwer.wer(references, hypotheses), 4),
        "cer": round(jiwer.cer(references, hypotheses), 4),
    }


async def transcript_quality(
    settings: Settings, sentences: Sequence[str] = KOREAN_SENTENCES
) -> dict[str, Any]:
    """WER and CER of free decoding and of decoding with the sentences as a phrase list."""
    run = uuid.uuid4().hex[:8]
    references = list(sentences)
    speech = [synthesize_speech([s], sample_rate=SAMPLE_RATE, pause_s=0.6) for s in references]
    out: dict[str, Any] = {"utterances": len(references), "how_made": HOW_MADE}
    for mode, config in (("free", {}), ("phrase_list", {"phrase_list": references})):
        label = mode.replace("_", "-")  # call ids allow letters, digits and ._:-
        hypotheses = []
        for i, pcm in enumerate(speech):
            hypotheses.append(await _transcribe(call_url(settings, f"wer-{run}-{label}-{i}"), pcm, config))
        examples = list(zip(references, hypotheses, strict=True))[:2]
        out[mode] = {**_rates(references, hypotheses), "examples": examples}
    return out
