"""Transcribe calls: live websocket frames and uploaded recordings, each call in order."""

from __future__ import annotations

import logging
from typing import Any

import faust

from events.call_records import CallAudio
from streams.call_transcriber import CallTranscriber
from streams.decoding import decode_or_dead_letter
from streams.worker_parts import Worker, add_service

__all__ = ["install"]

log = logging.getLogger(__name__)


def install(worker: Worker) -> tuple[faust.types.AgentT, faust.types.AgentT]:
    """Add the transcriber (a service), :func:`transcribe_calls` and :func:`transcribe_recordings`
    to the worker's app."""
    app, topics = worker.app, worker.topics
    transcriber = add_service(app, CallTranscriber(worker.settings, topics=topics))

    async def submit(event: faust.EventT) -> None:
        record = await decode_or_dead_letter(event, CallAudio, topics.deadletter)
        if record is None:
            event.ack()
            return
        # Acked by the transcriber once processed (replies published, the call ended).
        await transcriber.submit(event, record)

    @app.agent(topics.calls_audio)
    async def transcribe_calls(stream: faust.StreamT) -> None:
        """Every live frame: to its call's recognizer; the reply goes back through Redis."""
        await transcriber.ready.wait()
        async for event in stream.noack().events():
            await submit(event)

    @app.agent(topics.calls_recorded)
    async def transcribe_recordings(stream: faust.StreamT) -> None:
        """Uploaded recordings, apart from live calls so that a long file never delays them."""
        await transcriber.ready.wait()
        async for event in stream.noack().events():
            await submit(event)

    @app.on_partitions_assigned.connect
    async def hand_over_calls(app: faust.App, assigned: set[Any], **kwargs: Any) -> None:
        try:
            transcriber.keep_only(assigned)
        except Exception:  # a signal handler that raises crashes the whole worker
            log.exception("could not hand over calls after a rebalance")

    return transcribe_calls, transcribe_recordings
