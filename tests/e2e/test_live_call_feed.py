"""Live calls pushed to the dashboards (``WS /ws/live-calls``) on the real stack: a vosk-server client
streams espeak speech through ``/ws/calls/{id}``, and a dashboard connection receives the call's
start, its words in progress, each final utterance with its risk (in order) and its end."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from asr import frame_bytes, split_frames
from hotline.bench.asr_speech import KOREAN_SENTENCES, speech_tools_missing, synthesize_speech
from tests.conftest import Pipeline
from tests.e2e.vosk_clients import written

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(bool(speech_tools_missing()), reason="espeak-ng and sox are needed"),
]
pytest.importorskip("vosk", reason="Vosk is not installed (pip install '.[asr]')")

FRAME = frame_bytes(8000, 0.2)
#: The first call of the run also waits for the worker to load the model.
REPLY_TIMEOUT_S = 60.0
CONFIG = '{ "config" : { "sample_rate" : 8000 } }'
EOF_TEXT = '{"eof" : 1}'


def _url(pipeline: Pipeline, path: str, token: str | None = None, **query: Any) -> str:
    params = {"token": token or pipeline.stack.token, **query}
    return f"ws://127.0.0.1:{pipeline.stack.settings.api_port}{path}?{urlencode(params)}"


async def _stream_call(pipeline: Pipeline, call_id: str, pcm: bytes) -> list[str]:
    """Stream ``pcm`` like vosk-server's test.py; the final texts the connector got, in order."""
    texts = []
    async with websockets.connect(_url(pipeline, f"/ws/calls/{call_id}", branch="feed-test")) as ws:
        await ws.send(CONFIG)
        for frame in split_frames(pcm, FRAME):
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
            if reply.get("text"):
                texts.append(reply["text"])
        await ws.send(EOF_TEXT)
        final = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        if final.get("text"):
            texts.append(final["text"])
    return texts


async def _feed_until_ended(feed: Any, call_id: str) -> list[dict[str, Any]]:
    """The feed's messages about ``call_id`` up to and including its end."""
    mine = []
    deadline = time.monotonic() + 3 * REPLY_TIMEOUT_S
    while time.monotonic() < deadline:
        message = json.loads(await asyncio.wait_for(feed.recv(), REPLY_TIMEOUT_S))
        if message.get("call_id") == call_id:
            mine.append(message)
            if message["event"] == "ended":
                return mine
    raise AssertionError(f"no end of {call_id} on the feed: {[m['event'] for m in mine]}")


async def test_a_streamed_call_is_pushed_to_the_live_calls_feed_in_order(pipeline: Pipeline) -> None:
    speech = synthesize_speech(KOREAN_SENTENCES[:2], sample_rate=8000)
    call_id = f"feed-{secrets.token_hex(4)}"
    async with websockets.connect(_url(pipeline, "/ws/live-calls")) as feed:
        snapshot = json.loads(await asyncio.wait_for(feed.recv(), REPLY_TIMEOUT_S))
        assert snapshot["event"] == "snapshot" and isinstance(snapshot["calls"], list)
        assert call_id not in {c["call_id"] for c in snapshot["calls"]}
        texts, mine = await asyncio.gather(
            _stream_call(pipeline, call_id, speech), _feed_until_ended(feed, call_id)
        )

    events = [m["event"] for m in mine]
    assert events[0] == "started" and events[-1] == "ended", events
    assert mine[0]["call"]["branch"] == "feed-test" and mine[0]["call"]["status"] == "live"
    assert "caller_ref" not in json.dumps(mine)
    utterances = [m["utterance"] for m in mine if m["event"] == "utterance"]
    assert texts, "two sentences with a pause: at least one final"
    assert [u["text"] for u in utterances] == written(pipeline, texts), "every final, in order"
    assert [u["index"] for u in utterances] == list(range(len(texts)))
    assert all(
        0.0 <= u["risk"] <= 1.0 and u["risk_level"] in ("none", "low", "medium", "high") for u in utterances
    )
    partials = [i for i, m in enumerate(mine) if m["event"] == "partial" and m["partial"]]
    first_final = events.index("utterance")
    assert partials and partials[0] < first_final, "words in progress are pushed before the first final"
    assert mine[-1]["end_reason"] == "eof"
    ids = [m["stream_id"] for m in mine]
    assert ids == sorted(ids, key=lambda i: tuple(int(p) for p in i.split("-"))) and len(set(ids)) == len(ids)

    # A dashboard connecting now no longer sees the call among the live ones.
    async with websockets.connect(_url(pipeline, "/ws/live-calls")) as late:
        snapshot = json.loads(await asyncio.wait_for(late.recv(), REPLY_TIMEOUT_S))
    assert call_id not in {c["call_id"] for c in snapshot["calls"]}


async def test_a_live_call_is_in_the_snapshot_with_its_transcript_so_far(pipeline: Pipeline) -> None:
    speech = synthesize_speech(KOREAN_SENTENCES[:2], sample_rate=8000)
    call_id = f"snap-{secrets.token_hex(4)}"
    async with websockets.connect(_url(pipeline, f"/ws/calls/{call_id}", line="snap-line")) as ws:
        await ws.send(CONFIG)
        texts = []
        for frame in split_frames(speech, FRAME):
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
            texts += [reply["text"]] if reply.get("text") else []
        async with websockets.connect(_url(pipeline, "/ws/live-calls")) as feed:
            snapshot = json.loads(await asyncio.wait_for(feed.recv(), REPLY_TIMEOUT_S))
        await ws.send(EOF_TEXT)
        await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)
    calls = {c["call_id"]: c for c in snapshot["calls"]}
    assert call_id in calls and calls[call_id]["line"] == "snap-line"
    assert [u["text"] for u in calls[call_id]["utterances"]] == written(pipeline, texts)


async def _refused(url: str) -> bool:
    """True when the server refuses the websocket: 403 at the handshake, or a close with 1008."""
    try:
        async with websockets.connect(url) as ws:
            await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)
    except InvalidStatus as refused:
        return refused.response.status_code == 403
    except ConnectionClosed as closed:
        return closed.rcvd is not None and closed.rcvd.code == 1008
    return False


async def test_the_feed_needs_a_token_and_a_role_that_reads_calls(pipeline: Pipeline) -> None:
    for token in ("not-a-token", pipeline.stack.role_token("oncall"), pipeline.stack.role_token("ingest")):
        assert await _refused(_url(pipeline, "/ws/live-calls", token=token))
    monitor = pipeline.stack.role_token("monitor")
    async with websockets.connect(_url(pipeline, "/ws/live-calls", token=monitor)) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))["event"] == "snapshot"
