"""Two-channel calls end to end: the caller on one channel, the agent on the other, live through
``/ws/calls/{id}`` and as an uploaded stereo WAV. Every utterance carries its speaker, the agent's
words are not scored as the caller escalating but do trigger an ``agent_phrase`` rule
(``e2e-agent-phrase`` watches "금융감독원"), the complaint a call becomes holds the caller's words
only, and an upload shows its progress. A grammar (``phrase_list``) makes espeak speech recognisable."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets

from asr import frame_bytes
from hotline.bench.asr_speech import interleave, speech_tools_missing, synthesize_speech, wav_bytes
from storage.clickhouse import DriverExecutor
from storage.clickhouse.call_queries import stored_utterances
from tests.conftest import Pipeline, run_bench
from tests.e2e.vosk_clients import EOF_TEXT, REPLY_TIMEOUT_S, lockstep, new_call_id, read_until_closed, ws_url

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(bool(speech_tools_missing()), reason="espeak-ng and sox are needed"),
]
pytest.importorskip("vosk", reason="Vosk is not installed (pip install '.[asr]')")

KEYWORDS = ["금융감독원", "환불", "카드", "상담원"]
STEREO_FRAME = frame_bytes(8000, 0.2, channels=2)


@pytest.fixture(scope="module")
def voices() -> tuple[bytes, bytes]:
    """The caller asks for a refund; then the agent answers naming the regulator (phrases the model
    recognises in espeak's voice under the grammar)."""
    customer = synthesize_speech(["환불"])
    agent = synthesize_speech(["상담원 금융감독원"])
    return customer + bytes(len(agent)), bytes(len(customer)) + agent


async def _poll(check: Callable[[], Any], timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.3)


async def _ended(http: httpx.AsyncClient, call_id: str, seen: list[dict[str, Any]] | None = None) -> Any:
    async def check() -> Any:
        body = (await http.get(f"/api/v1/calls/{call_id}")).json()
        if seen is not None:
            seen.append(body)
        return body if body.get("status") == "ended" else None

    return await _poll(check)


async def _alert(http: httpx.AsyncClient, call_id: str, rule_id: str) -> Any:
    async def check() -> Any:
        listed = (await http.get("/api/v1/alerts", params={"rule_id": rule_id, "limit": 200})).json()
        return next((a for a in listed["alerts"] if a.get("call_id") == call_id), None)

    return await _poll(check, timeout=20.0)


def _check_speakers(detail: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_speaker: dict[str, list[dict[str, Any]]] = {"customer": [], "agent": []}
    for u in detail["utterances"]:
        by_speaker[u["speaker"]].append(u)
    assert by_speaker["customer"] and by_speaker["agent"], detail["utterances"]
    for u in by_speaker["agent"]:
        assert (u["risk"], u["risk_level"], u["risk_terms"]) == (0.0, "none", []), u
    # The caller speaks first: times are the call's, per channel.
    assert min(u["start_s"] for u in by_speaker["agent"]) > min(u["start_s"] for u in by_speaker["customer"])
    for u in detail["utterances"]:
        assert u["text"].endswith((".", "?")), u  # written as a sentence at its endpoint
    return by_speaker


async def test_a_live_two_channel_call_keeps_caller_and_agent_apart(
    pipeline: Pipeline, voices: tuple[bytes, bytes]
) -> None:
    call_id = new_call_id("stereo")
    config = {"sample_rate": 8000, "channels": 2, "phrase_list": KEYWORDS}
    async with websockets.connect(ws_url(pipeline, call_id, line="two-channel")) as ws:
        await ws.send(json.dumps({"config": config}, ensure_ascii=False))
        replies = await lockstep(ws, interleave(*voices), STEREO_FRAME)
        await ws.send(EOF_TEXT)
        replies.append(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)))
        code, _ = await read_until_closed(ws)
    assert code == 1000
    for reply in replies:  # one reply per frame, both channels in it
        assert [c["speaker"] for c in reply["channels"]] == ["customer", "agent"], reply
    said = {c["speaker"] for r in replies for c in r["channels"] if c.get("text")}
    assert said == {"customer", "agent"}, replies

    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=30) as http:
        detail = await _ended(http, call_id)
        assert detail, "the call did not end"
        by_speaker = _check_speakers(detail)
        assert any("금융감독원" in u["text"] for u in by_speaker["agent"]), by_speaker
        # The agent naming the regulator is an agent rule's business, not the caller escalating.
        agent_alert = await _alert(http, call_id, "e2e-agent-phrase")
        assert agent_alert is not None and "agent said 금융감독원" in agent_alert["reason"]
        assert await _alert(http, call_id, "e2e-live-call") is None

    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    stored = await _poll(lambda: asyncio.to_thread(stored_utterances, executor, call_id))
    assert {u["speaker"] for u in stored} == {"customer", "agent"}
    complaint = await _poll(
        lambda: asyncio.to_thread(
            executor.execute, "SELECT text FROM complaints WHERE event_id = %(id)s", {"id": f"call-{call_id}"}
        )
    )
    assert complaint[0][0] == " ".join(u["text"] for u in by_speaker["customer"])  # the caller's words only


async def test_a_stereo_recording_is_transcribed_per_channel_with_its_progress(
    pipeline: Pipeline, voices: tuple[bytes, bytes]
) -> None:
    customer, agent = voices
    stereo = interleave(agent, customer)  # this recorder puts the caller on the right
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=30) as http:
        response = await http.post(
            "/api/v1/calls",
            params={"customer_channel": 1},
            content=wav_bytes(stereo, 8000, channels=2),
            headers={"Content-Type": "audio/wav"},
        )
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["duration_s"] == pytest.approx(len(stereo) / 32000, abs=0.001)
        seen: list[dict[str, Any]] = []
        detail = await _ended(http, accepted["call_id"], seen)
        assert detail, "the recording was not transcribed"
    assert detail["progress"] == 1.0 and detail["duration_s"] == pytest.approx(
        accepted["duration_s"], abs=0.01
    )
    progress = [b["progress"] for b in seen if "progress" in b]
    assert progress == sorted(progress) and all(0.0 <= p <= 1.0 for p in progress)
    _check_speakers(detail)


def test_bench_recordings_reports_speed_against_real_time(pipeline: Pipeline) -> None:
    result, progress = run_bench(pipeline, "recordings", "--recordings", "1", "--seconds", "10", timeout=300)
    assert result["metric"] == "recordings" and result["channels"] == 2
    assert result["audio_s"] == pytest.approx(10.0, abs=0.01)
    (run,) = result["runs"]
    assert run["speed_x"] == pytest.approx(result["audio_s"] / run["wall_s"], rel=0.02)
    assert run["progress_monotonic"] and run["utterances"] > 0
    assert "recording 1/1" in progress
    assert result["run"]["commit"]  # every bench says what it measured
