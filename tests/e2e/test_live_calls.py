"""Live calls end to end on the real stack: a vosk-server client streams espeak speech through
``/ws/calls/{id}`` (API -> Kafka -> worker with Vosk -> Redis -> API), and the call ends as rows in
ClickHouse and a ``voice`` complaint. Recognition of espeak speech is poor, so the tests assert
behaviour (replies, partials, finals, timings, keywords under a grammar, isolation), not accuracy."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from asr import frame_bytes, split_frames
from hotline.bench.asr_speech import KOREAN_SENTENCES, speech_tools_missing, synthesize_speech
from storage.clickhouse import DriverExecutor
from storage.clickhouse.call_queries import stored_call, stored_utterances
from tests.conftest import ASR_IDLE_TIMEOUT_S, ASR_MAX_CALLS, Pipeline
from tests.e2e.vosk_clients import (
    EOF_TEXT,
    REPLY_TIMEOUT_S,
    lockstep,
    new_call_id,
    read_until_closed,
    written,
    ws_url,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(bool(speech_tools_missing()), reason="espeak-ng and sox are needed"),
]
pytest.importorskip("vosk", reason="Vosk is not installed (pip install '.[asr]')")

FRAME = frame_bytes(8000, 0.2)
CONFIG = '{ "config" : { "sample_rate" : 8000 } }'  # exactly as vosk-server's test.py writes it


@pytest.fixture(scope="module")
def speech() -> bytes:
    return synthesize_speech(KOREAN_SENTENCES[:2], sample_rate=8000)


async def _poll(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.3)


def _executor(pipeline: Pipeline) -> DriverExecutor:
    return DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)


def _complaint(pipeline: Pipeline, event_id: str) -> tuple[Any, ...] | None:
    rows = _executor(pipeline).execute(
        "SELECT channel, branch, text, customer_ref_hash FROM complaints WHERE event_id = %(id)s",
        {"id": event_id},
    )
    return rows[0] if rows else None


async def _detail(pipeline: Pipeline, call_id: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth()) as http:
        return await http.get(f"/api/v1/calls/{call_id}")


async def test_vosk_client_gets_partials_finals_and_the_call_becomes_a_voice_complaint(
    pipeline: Pipeline, speech: bytes
) -> None:
    call_id = new_call_id("live")
    url = ws_url(pipeline, call_id, branch="sh-01", line="cards", caller_ref="138 0013 8000")
    async with websockets.connect(url) as ws:
        await ws.send(CONFIG)
        frames = list(split_frames(speech, FRAME))
        replies = await lockstep(ws, b"".join(frames[: len(frames) // 2]), FRAME)
        async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth()) as http:
            live = (await http.get("/api/v1/calls/live")).json()["calls"]
        replies += await lockstep(ws, b"".join(frames[len(frames) // 2 :]), FRAME)
        await ws.send(EOF_TEXT)
        final = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        code, extra = await read_until_closed(ws)

    assert len(replies) == len(frames), "one reply per frame"
    assert all(("partial" in r) != ("text" in r) for r in replies)
    results = [i for i, r in enumerate(replies) if r.get("text")]
    assert results, "two sentences with a pause: a final at the endpoint"
    assert any(r.get("partial") for r in replies[: results[0]]), "partials come before the first final"
    words = [w for r in replies if "result" in r for w in r["result"]] + final.get("result", [])
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in words)
    assert "text" in final
    assert code == 1000 and extra == []
    mine = [c for c in live if c["call_id"] == call_id]
    assert mine and mine[0]["status"] == "live" and mine[0]["branch"] == "sh-01"

    texts = [r["text"] for r in replies if r.get("text")] + ([final["text"]] if final.get("text") else [])
    detail = await _detail(pipeline, call_id)
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "ended" and body["end_reason"] == "eof"
    sentences = written(pipeline, texts)
    assert [u["text"] for u in body["utterances"]] == sentences
    assert body["transcript"] == " ".join(sentences)
    assert "caller_ref" not in json.dumps(body) and "13800138000" not in json.dumps(body)

    complaint = await _poll(lambda: _complaint(pipeline, f"call-{call_id}"))
    assert complaint is not None, "the call did not become a complaint"
    channel, branch, text, ref_hash = complaint
    assert (channel, branch, text) == ("voice", "sh-01", " ".join(sentences))
    # A keyed hash: 32 hex digits, not the number (a random hex string holds "138" ~0.7% of the time).
    assert len(ref_hash) == 32 and set(ref_hash) <= set("0123456789abcdef") and "13800138000" not in ref_hash
    stored = await _poll(lambda: stored_call(_executor(pipeline), call_id))
    assert stored is not None and stored["end_reason"] == "eof" and stored["utterance_count"] == len(texts)
    assert stored["audio_seconds"] == pytest.approx(len(speech) / 16000, abs=0.01)
    rows = await _poll(lambda: len(stored_utterances(_executor(pipeline), call_id)) == len(texts) or None)
    assert rows, "utterance rows missing"
    assert [u["text"] for u in stored_utterances(_executor(pipeline), call_id)] == sentences

    # The call has ended: connecting to it again is refused.
    async with websockets.connect(ws_url(pipeline, call_id)) as ws:
        code, texts_after = await read_until_closed(ws)
    assert code == 1008 and "has ended" in json.loads(texts_after[0])["error"]


async def test_grammar_keywords_and_concurrent_calls_never_mix(pipeline: Pipeline) -> None:
    keywords = ["금융감독원", "환불", "카드", "상담원"]
    spoken = synthesize_speech(keywords)
    silence = bytes(len(spoken))

    async def call(
        call_id: str, pcm: bytes, config: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int | None]:
        async with websockets.connect(ws_url(pipeline, call_id)) as ws:
            await ws.send(json.dumps({"config": config}, ensure_ascii=False))
            replies = await lockstep(ws, pcm, FRAME)
            await ws.send(EOF_TEXT)
            replies.append(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)))
            code, _ = await read_until_closed(ws)
            return replies, code

    (keyword_replies, code_a), (silent_replies, code_b) = await asyncio.gather(
        call(new_call_id("grammar"), spoken, {"sample_rate": 8000, "phrase_list": keywords}),
        call(new_call_id("silent"), silence, {"sample_rate": 8000, "words": 0}),
    )
    assert code_a == code_b == 1000
    spotted = {w for r in keyword_replies for w in (r.get("text") or r.get("partial") or "").split()}
    assert spotted, "grammar mode found none of the spoken keywords"
    assert spotted <= set(keywords), "a grammar call produced words outside its grammar"
    assert all(not (r.get("text") or r.get("partial")) for r in silent_replies), "speech leaked into silence"
    assert all("result" not in r for r in silent_replies)  # words: 0 was honoured


async def test_bad_input_gets_an_error_and_a_close_code_and_disturbs_nothing(
    pipeline: Pipeline, speech: bytes
) -> None:
    async def expect(call_id: str, *messages: str | bytes) -> tuple[int | None, str]:
        async with websockets.connect(ws_url(pipeline, call_id), max_size=None) as ws:
            for message in messages:
                try:
                    await ws.send(message)
                except ConnectionClosed:
                    break
            code, texts = await read_until_closed(ws)
        errors = [json.loads(t) for t in texts if "error" in json.loads(t)]
        assert errors and errors[-1]["code"] == code, texts
        return code, errors[-1]["error"]

    good_id = new_call_id("good")
    good = asyncio.ensure_future(_good_call(pipeline, good_id, speech))
    max_frame = pipeline.stack.settings.asr_max_frame_bytes
    ended_id = new_call_id("short")
    async with websockets.connect(ws_url(pipeline, ended_id)) as ws:
        await ws.send(EOF_TEXT)
        await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)

    cases = {
        "rate": ((new_call_id("rate"), '{"config": {"sample_rate": 44100}}'), 1003, "44100"),
        "ogg": ((new_call_id("ogg"), CONFIG, b"OggS" + bytes(3196)), 1003, "Ogg"),
        "odd": ((new_call_id("odd"), CONFIG, bytes(3201)), 1003, "16-bit"),
        "text": ((new_call_id("text"), "hello"), 1007, "not JSON"),
        "unknown": ((new_call_id("unknown"), '{"start": 1}'), 1003, "unknown message"),
        "big": ((new_call_id("big"), CONFIG, bytes(max_frame + 2)), 1008, "over the limit"),
        "after-eof": ((new_call_id("eof"), CONFIG, bytes(3200), EOF_TEXT, bytes(3200)), 1008, "after eof"),
        "ended": ((ended_id, CONFIG, bytes(3200)), 1008, "has ended"),
        "metadata": (
            (new_call_id("meta"), '{"config": {"branch": "' + "x" * 100 + '"}}', bytes(3200)),
            1007,
            "branch",
        ),
    }
    outcomes = await asyncio.gather(*(expect(*args) for args, _, _ in cases.values()))
    for (name, (_, code, words)), (got_code, reason) in zip(cases.items(), outcomes, strict=True):
        assert got_code == code, f"{name}: closed with {got_code} ({reason})"
        assert words in reason, f"{name}: {reason}"

    # Two connections on one live call: the second is refused, the first goes on.
    busy = new_call_id("busy")
    async with websockets.connect(ws_url(pipeline, busy)) as first:
        await first.send(bytes(3200))
        await asyncio.wait_for(first.recv(), REPLY_TIMEOUT_S)
        code, reason = await expect(busy, bytes(3200))
        assert code == 1008 and "another connection" in reason
        await first.send(bytes(3200))
        assert "partial" in json.loads(await asyncio.wait_for(first.recv(), REPLY_TIMEOUT_S))
        await first.send(EOF_TEXT)
        assert "text" in json.loads(await asyncio.wait_for(first.recv(), REPLY_TIMEOUT_S))

    replies, code = await good
    assert code == 1000 and len(replies) == len(list(split_frames(speech, FRAME))) + 1


async def _good_call(pipeline: Pipeline, call_id: str, pcm: bytes) -> tuple[list[dict[str, Any]], int | None]:
    async with websockets.connect(ws_url(pipeline, call_id)) as ws:
        await ws.send(CONFIG)
        replies = await lockstep(ws, pcm, FRAME)
        await ws.send(EOF_TEXT)
        replies.append(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)))
        code, _ = await read_until_closed(ws)
    return replies, code


async def test_a_silent_or_vanished_connector_is_closed_and_flushed_after_the_idle_timeout(
    pipeline: Pipeline,
) -> None:
    # No pause at the end: the last words wait in the recognizer until the flush.
    pcm = synthesize_speech(["상담원 연결해 주세요 너무 화가 납니다"], pause_s=0.0)
    silent_id, vanished_id = new_call_id("silent"), new_call_id("vanished")

    async def vanish() -> None:
        async with websockets.connect(ws_url(pipeline, vanished_id)) as ws:
            await ws.send(CONFIG)
            await lockstep(ws, pcm, FRAME)
        # gone without eof

    async def stay_silent() -> tuple[int | None, list[str], float]:
        async with websockets.connect(ws_url(pipeline, silent_id, branch="idle-test")) as ws:
            await ws.send(CONFIG)
            await lockstep(ws, pcm, FRAME)
            started = time.monotonic()
            code, texts = await read_until_closed(ws)  # connected, but sending nothing
            return code, texts, time.monotonic() - started

    _, (code, texts, waited) = await asyncio.gather(vanish(), stay_silent())
    assert code == 1008 and "no audio" in json.loads(texts[-1])["error"]
    assert ASR_IDLE_TIMEOUT_S - 0.5 <= waited <= ASR_IDLE_TIMEOUT_S + 15

    async def ended(call_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 3 * ASR_IDLE_TIMEOUT_S
        while True:
            body = (await _detail(pipeline, call_id)).json()
            if body.get("status") == "ended" or time.monotonic() > deadline:
                return body
            await asyncio.sleep(0.3)

    for call_id in (silent_id, vanished_id):
        body = await ended(call_id)
        assert body["status"] == "ended" and body["end_reason"] == "idle", body
        assert body["transcript"], "the words pending at the end were not flushed"
        stored = await _poll(lambda call_id=call_id: stored_call(_executor(pipeline), call_id))
        assert stored is not None and stored["end_reason"] == "idle"


async def test_wav_upload_is_transcribed_and_bad_files_are_refused(pipeline: Pipeline, speech: bytes) -> None:
    from hotline.bench.asr_speech import wav_bytes

    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=30) as http:
        response = await http.post(
            "/api/v1/calls",
            params={"branch": "bj-02", "regulator_forwarded": "true", "regulator_ref": "12378-77"},
            content=wav_bytes(speech, 8000),
            headers={"Content-Type": "audio/wav"},
        )
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["sample_rate"] == 8000
        assert accepted["duration_s"] == pytest.approx(len(speech) / 16000, abs=0.001)
        call_id = accepted["call_id"]

        again = await http.post("/api/v1/calls", params={"call_id": call_id}, content=wav_bytes(speech, 8000))
        assert again.status_code == 409

        surround = bytearray(wav_bytes(speech[:3200], 8000))
        surround[22] = 6  # two channels are a caller and an agent; six are not a phone call
        bad = {
            "6 channels": (bytes(surround), "audio/wav", 415, "channels"),
            "44.1k": (wav_bytes(speech[:3200], 44100), "audio/wav", 415, "44100"),
            "not wav": (b"OggS" + bytes(100), "audio/wav", 415, "Ogg"),
            "no data": (wav_bytes(b"", 8000)[:36], "audio/wav", 422, "data chunk"),
            "empty": (wav_bytes(b"", 8000), "audio/wav", 422, "no audio"),
            "json": (b"{}", "application/json", 415, "audio/wav"),
            "too big": (
                wav_bytes(bytes(pipeline.stack.settings.asr_max_upload_bytes), 8000),
                "audio/wav",
                413,
                "",
            ),
        }
        for name, (content, content_type, status, words) in bad.items():
            response = await http.post(
                "/api/v1/calls", content=content, headers={"Content-Type": content_type}
            )
            assert response.status_code == status, f"{name}: {response.status_code} {response.text}"
            assert words in response.text, f"{name}: {response.text}"

        async def ended() -> dict[str, Any] | None:
            body = (await http.get(f"/api/v1/calls/{call_id}")).json()
            return body if body.get("status") == "ended" else None

        body = None
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while body is None and time.monotonic() < deadline:
            body = await ended()
            await asyncio.sleep(0.3)
    assert body is not None, "the upload was not transcribed"
    assert body["source"] == "upload" and body["end_reason"] == "upload"
    assert body["regulator_forwarded"] is True and body["regulator_ref"] == "12378-77"
    assert body["transcript"] and body["audio_seconds"] == pytest.approx(len(speech) / 16000, abs=0.01)
    complaint = await _poll(lambda: _complaint(pipeline, f"call-{call_id}"))
    assert complaint is not None and complaint[0] == "voice" and complaint[1] == "bj-02"


async def test_a_connector_may_reconnect_and_go_on_with_its_call(pipeline: Pipeline, speech: bytes) -> None:
    call_id = new_call_id("resume")
    frames = list(split_frames(speech, FRAME))
    half = len(frames) // 2
    async with websockets.connect(ws_url(pipeline, call_id, branch="resume-test")) as ws:
        await ws.send(CONFIG)
        first = await lockstep(ws, b"".join(frames[:half]), FRAME)
    # The connection dropped without eof; well within the idle timeout the connector is back.
    async with websockets.connect(ws_url(pipeline, call_id)) as ws:
        await ws.send(CONFIG)
        second = await lockstep(ws, b"".join(frames[half:]), FRAME)
        await ws.send(EOF_TEXT)
        final = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        code, _ = await read_until_closed(ws)
    assert code == 1000 and len(first) + len(second) == len(frames)
    texts = [r["text"] for r in first + second + [final] if r.get("text")]
    body = (await _detail(pipeline, call_id)).json()
    assert body["end_reason"] == "eof" and body["branch"] == "resume-test"  # the first connection's
    assert [u["text"] for u in body["utterances"]] == written(pipeline, texts)
    assert body["audio_seconds"] == pytest.approx(len(speech) / 16000, abs=0.01)


async def test_a_full_worker_turns_new_calls_away_until_one_ends(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth()) as http:
        deadline = time.monotonic() + 3 * ASR_IDLE_TIMEOUT_S  # calls of earlier tests may still idle
        while (await http.get("/api/v1/calls/live")).json()["calls"] and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
    ids = [new_call_id("cap") for _ in range(ASR_MAX_CALLS + 1)]
    connections = [await websockets.connect(ws_url(pipeline, call_id)).__aenter__() for call_id in ids]
    try:
        for ws in connections[:-1]:
            await ws.send(bytes(3200))
            assert "partial" in json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        extra = connections[-1]
        await extra.send(bytes(3200))
        code, texts = await read_until_closed(extra)
        assert code == 1013 and "try again later" in json.loads(texts[-1])["error"]
        # The calls in progress were not disturbed.
        await connections[0].send(EOF_TEXT)
        assert "text" in json.loads(await asyncio.wait_for(connections[0].recv(), REPLY_TIMEOUT_S))
        # A slot is free again: the refused call (its id was not used up) now goes through.
        async with websockets.connect(ws_url(pipeline, ids[-1])) as retry:
            await retry.send(bytes(3200))
            assert "partial" in json.loads(await asyncio.wait_for(retry.recv(), REPLY_TIMEOUT_S))
            await retry.send(EOF_TEXT)
            assert "text" in json.loads(await asyncio.wait_for(retry.recv(), REPLY_TIMEOUT_S))
    finally:
        for ws in connections[1:-1]:
            await ws.send(EOF_TEXT)
            await ws.close()
