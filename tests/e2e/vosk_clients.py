"""Websocket clients of ``/ws/calls/{id}`` written the way vosk-server's own test clients are:
send a frame, read its one reply, and at the end ``{"eof" : 1}`` and the final result."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed

from asr import as_sentence, model_language, split_frames
from tests.conftest import Pipeline

#: The first call of the run also waits for the worker to load the model.
REPLY_TIMEOUT_S = 60.0
EOF_TEXT = '{"eof" : 1}'  # exactly as vosk-server's test.py writes it


def ws_url(pipeline: Pipeline, call_id: str, **query: Any) -> str:
    params = {"token": pipeline.stack.token, **query}
    return f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/calls/{call_id}?{urlencode(params)}"


def new_call_id(label: str) -> str:
    return f"{label}-{secrets.token_hex(4)}"


async def lockstep(ws: Any, pcm: bytes, frame_bytes: int) -> list[dict[str, Any]]:
    """Send each frame and read its reply before the next, like vosk-server's test.py."""
    replies = []
    for frame in split_frames(pcm, frame_bytes):
        await ws.send(frame)
        replies.append(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)))
    return replies


async def read_until_closed(ws: Any) -> tuple[int | None, list[str]]:
    """Read until the server closes; the close code and any text frames before it."""
    texts = []
    try:
        while True:
            texts.append(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), texts


def written(pipeline: Pipeline, texts: list[str]) -> list[str]:
    """The finals a connector got as the transcript stores them: each written as a sentence in the
    language of the stack's model (as the worker writes them)."""
    language = model_language(Path(pipeline.stack.env["HOTLINE_ASR_MODEL_PATH"]))
    return [as_sentence(text, language) for text in texts]
