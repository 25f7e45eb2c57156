"""Store what transcription produced: utterances and ended calls, into ClickHouse."""

from __future__ import annotations

import faust

from config.settings import get_settings
from events.call_records import CallEnded, UtteranceEvent
from streams.app import app
from streams.call_storage import call_row, call_storage, utterance_row
from streams.call_topics import calls_ended, calls_utterances
from streams.decoding import decode_or_dead_letter

__all__ = ["store_calls", "store_utterances"]

_settings = get_settings()


@app.agent(calls_utterances)
async def store_utterances(stream: faust.StreamT) -> None:
    """Every final utterance (with its risk) as a row; acked once written."""
    await call_storage.ready.wait()
    async for events in stream.noack_take(_settings.sink_batch_rows, within=_settings.sink_flush_s):
        await call_storage.utterances.wait_for_room()
        decoded = [await decode_or_dead_letter(event, UtteranceEvent) for event in events]
        call_storage.utterances.add([utterance_row(u) for u in decoded if u is not None], events)


@app.agent(calls_ended)
async def store_calls(stream: faust.StreamT) -> None:
    """Every ended call with its transcript as a row; acked once written."""
    await call_storage.ready.wait()
    async for events in stream.noack_take(_settings.sink_batch_rows, within=_settings.sink_flush_s):
        await call_storage.calls.wait_for_room()
        decoded = [await decode_or_dead_letter(event, CallEnded) for event in events]
        call_storage.calls.add([call_row(c) for c in decoded if c is not None], events)
