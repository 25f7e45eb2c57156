"""Every vosk-server client works unchanged: a table of the configs its own test clients send
(alphacep/vosk-server websocket/test.py, test_words.py, test_alternatives.py, and the other keys
its server reads) x 8 and 16 kHz, each a real websocket client against the running stack. Only
the URL differs from what they do against vosk-server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from asr import frame_bytes, split_frames
from hotline.bench.asr_quality import transcript_quality
from hotline.bench.asr_speech import KOREAN_SENTENCES, speech_tools_missing, synthesize_speech
from tests.conftest import ASR_MAX_CALLS, Pipeline
from tests.e2e.vosk_clients import EOF_TEXT, REPLY_TIMEOUT_S, lockstep, new_call_id, read_until_closed, ws_url

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(bool(speech_tools_missing()), reason="espeak-ng and sox are needed"),
]
pytest.importorskip("vosk", reason="Vosk is not installed (pip install '.[asr]')")

RATES = (8000, 16000)


@dataclass(frozen=True)
class Client:
    """One vosk-server client: its config message (``{rate}`` filled in) and its frame length."""

    name: str
    config: str
    frame_samples: int  # test.py sends 0.2 s; test_words.py 4000 samples whatever the rate
    reset_midway: bool = False


CLIENTS = (
    Client("test.py", '{ "config" : { "sample_rate" : %(rate)d } }', 0),
    Client(
        "test_words.py (phrases the Korean model does not know, words 0)",
        '{"config" : \n { "phrase_list" : ["zero one two three four five six seven eight nine oh"],'
        '\n "sample_rate" : %(rate)d.0,\n "words" : 0}}',
        4000,
    ),
    Client(
        "test_alternatives.py",
        '{"config" : { "max_alternatives" : 20, "sample_rate" : %(rate)d } }',
        0,
    ),
    Client("partial words", '{"config": {"sample_rate": %(rate)d, "partial_words": 1}}', 0),
    Client("reset midway", '{"config": {"sample_rate": %(rate)d}}', 0, reset_midway=True),
    Client("config as a binary frame", 'b{"config": {"sample_rate": "%(rate)d"}}', 0),
)


@pytest.fixture(scope="module")
def speech() -> dict[int, bytes]:
    return {rate: synthesize_speech(KOREAN_SENTENCES[:2], sample_rate=rate) for rate in RATES}


async def _run(pipeline: Pipeline, client: Client, rate: int, pcm: bytes) -> dict[str, Any]:
    """The client's whole conversation: replies to frames (and reset), the final, the close code."""
    frame = client.frame_samples * 2 or frame_bytes(rate, 0.2)
    config = client.config % {"rate": rate}
    frames = list(split_frames(pcm, frame))
    half = len(frames) // 2 if client.reset_midway else len(frames)
    async with websockets.connect(ws_url(pipeline, new_call_id("parity"))) as ws:
        await ws.send(config[1:].encode() if config.startswith("b") else config)
        replies = await lockstep(ws, b"".join(frames[:half]), frame)
        reset = None
        if client.reset_midway:
            await ws.send('{"reset" : 1}')
            reset = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
            replies += await lockstep(ws, b"".join(frames[half:]), frame)
        await ws.send(EOF_TEXT)
        final = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        code, extra = await read_until_closed(ws)
    return {
        "frames": len(frames),
        "replies": replies,
        "reset": reset,
        "final": final,
        "code": code,
        "extra": extra,
    }


async def test_every_vosk_server_client_works_at_8_and_16_khz(
    pipeline: Pipeline, speech: dict[int, bytes]
) -> None:
    table = [(client, rate) for client in CLIENTS for rate in RATES]
    outcomes: list[dict[str, Any]] = []
    for start in range(0, len(table), ASR_MAX_CALLS - 1):  # leave a worker slot for other tests
        chunk = table[start : start + ASR_MAX_CALLS - 1]
        outcomes += await asyncio.gather(*(_run(pipeline, c, rate, speech[rate]) for c, rate in chunk))

    for (client, rate), out in zip(table, outcomes, strict=True):
        where = f"{client.name} at {rate} Hz"
        replies, final = out["replies"], out["final"]
        assert out["code"] == 1000 and out["extra"] == [], f"{where}: closed {out['code']} {out['extra']}"
        assert len(replies) == out["frames"], f"{where}: one reply per frame"
        assert all("error" not in r for r in [*replies, final]), where
        results = [r for r in replies if "partial" not in r] + [final]
        partials = [r for r in replies if "partial" in r]
        assert partials, f"{where}: no partials"
        if "phrase_list" in client.config:
            # Vosk drops the unknown words and hears nothing: the call goes on, all text empty.
            assert all(set(r) == {"text"} and r["text"] == "" for r in results), f"{where}: {results}"
            assert all(r["partial"] == "" for r in partials), where
        elif "max_alternatives" in client.config:
            assert all(set(r) == {"alternatives"} for r in results), f"{where}: {results}"
            alternatives = [a for r in results for a in r["alternatives"]]
            assert any(a["text"] for a in alternatives), f"{where}: nothing heard"
            assert all({"text", "confidence"} <= set(a) for a in alternatives), where
        else:
            assert all("text" in r for r in results), f"{where}: {results}"
            assert any(r["text"] for r in results), f"{where}: nothing heard"
            worded = [r for r in results if r["text"]]
            timed = {"word", "start", "end", "conf"}
            assert all(r["result"] and timed <= set(r["result"][0]) for r in worded), where
        if "partial_words" in client.config:
            assert any(r.get("partial_result") for r in partials), f"{where}: no partial_result"
        else:
            assert all("partial_result" not in r for r in partials), where
        if client.reset_midway:
            assert out["reset"] is not None and "text" in out["reset"], f"{where}: reset got {out['reset']}"


async def test_configs_beyond_what_this_server_allows_get_a_clear_error(pipeline: Pipeline) -> None:
    own_model = pipeline.stack.settings.asr_model_path
    assert own_model is not None
    cap = pipeline.stack.settings.asr_max_alternatives
    cases = {
        "another model": ('{"config": {"model": "vosk-model-cn-0.22"}}', 1008, "not available"),
        "alternatives above the cap": (
            json.dumps({"config": {"max_alternatives": cap + 1}}),
            1007,
            f"cap of {cap}",
        ),
    }
    for name, (config, code, words) in cases.items():
        async with websockets.connect(ws_url(pipeline, new_call_id("refused"))) as ws:
            await ws.send(config)
            got, texts = await read_until_closed(ws)
        assert got == code, f"{name}: closed with {got} {texts}"
        assert texts and words in json.loads(texts[-1])["error"], f"{name}: {texts}"

    # The server's own model by name is fine: the call runs.
    async with websockets.connect(ws_url(pipeline, new_call_id("own-model"))) as ws:
        await ws.send(json.dumps({"config": {"model": own_model.name, "sample_rate": 8000}}))
        await ws.send(bytes(3200))
        assert "partial" in json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        await ws.send(EOF_TEXT)
        assert "text" in json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        code, _ = await read_until_closed(ws)
    assert code == 1000


async def test_bench_asr_reports_error_rates_on_known_text(pipeline: Pipeline) -> None:
    report = await transcript_quality(pipeline.stack.settings, KOREAN_SENTENCES[:3])
    assert report["utterances"] == 3 and "espeak-ng" in report["how_made"]
    free, spotted = report["free"], report["phrase_list"]
    assert all(r[k] >= 0.0 for r in (free, spotted) for k in ("wer", "cer"))
    assert spotted["cer"] <= free["cer"]  # the grammar can only say the sentences' words
    assert [ref for ref, _ in free["examples"]] == list(KOREAN_SENTENCES[:2])
