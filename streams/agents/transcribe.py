"""Transcribe calls: live websocket frames and uploaded recordings, each call in order."""

from __future__ import annotations

import faust

from events.call_records import CallAudio
from streams.app import app
from streams.call_topics import calls_audio, calls_recorded
from streams.call_transcriber import transcriber
from streams.decoding import decode_or_dead_letter

__all__ = ["transcribe_calls", "transcribe_recordings"]


@app.agent(calls_audio)
async def transcribe_calls(stream: faust.StreamT) -> None:
    """Every live frame: to its call's recognizer; the reply goes back through Redis."""
    await transcriber.ready.wait()
    async for event in stream.noack().events():
        await _submit(event)


@app.agent(calls_recorded)
async def transcribe_recordings(stream: faust.StreamT) -> None:
    """Uploaded recordings, apart from live calls so that a long file never delays them."""
    await transcriber.ready.wait()
    async for event in stream.noack().events():
        await _submit(event)


async def _submit(event: faust.EventT) -> None:
    record = await decode_or_dead_letter(event, CallAudio)
    if record is None:
        event.ack()
        return
    # Acked by the transcriber once processed (replies published, the call ended).
    await transcriber.submit(event, record)
