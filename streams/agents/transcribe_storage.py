"""Store what transcription produced: utterances and ended calls, into ClickHouse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from pydantic import BaseModel

from events.call_records import CallEnded, UtteranceEvent
from streams.acked_sink import AckedSink
from streams.call_storage import CallStorage, call_row, utterance_row
from streams.decoding import decode_or_dead_letter
from streams.worker_parts import Worker, add_service

__all__ = ["install"]


def install(worker: Worker) -> tuple[faust.types.AgentT, faust.types.AgentT]:
    """Add the call sinks (a service), :func:`store_utterances` and :func:`store_calls` to the
    worker's app."""
    app, settings, topics = worker.app, worker.settings, worker.topics
    call_storage = add_service(app, CallStorage(settings))

    async def store(
        stream: faust.StreamT,
        sink: Callable[[], AckedSink],
        model: type[BaseModel],
        row: Callable[[Any], dict[str, Any]],
    ) -> None:
        """Every record of ``stream`` as a row of ``sink``; acked once written."""
        await call_storage.ready.wait()
        async for events in stream.noack_take(settings.sink_batch_rows, within=settings.sink_flush_s):
            await sink().wait_for_room()
            decoded = [await decode_or_dead_letter(event, model, topics.deadletter) for event in events]
            sink().add([row(r) for r in decoded if r is not None], events)

    @app.agent(topics.calls_utterances)
    async def store_utterances(stream: faust.StreamT) -> None:
        """Every final utterance (with its risk) as a row; acked once written."""
        await store(stream, lambda: call_storage.utterances, UtteranceEvent, utterance_row)

    @app.agent(topics.calls_ended)
    async def store_calls(stream: faust.StreamT) -> None:
        """Every ended call with its transcript as a row; acked once written."""
        await store(stream, lambda: call_storage.calls, CallEnded, call_row)

    return store_utterances, store_calls
