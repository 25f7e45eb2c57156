"""ClickHouse writers of ``calls`` and ``utterances`` for one worker, and the rows they write.

Like the complaint sink, each writer batches rows and acks the events they came from only once
the rows are written, so a crash replays them (the sinks drop what was already stored).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from events.call_records import CallEnded, UtteranceEvent
from storage.clickhouse.call_sink import CallSink, UtteranceSink
from streams.acked_sink import AckedSink
from streams.service_timers import start_timer
from streams.worker_service import WorkerService

__all__ = ["CallStorage", "call_row", "utterance_row"]

log = logging.getLogger(__name__)

#: Longest a stopping worker tries to write buffered rows (unwritten ones are redelivered anyway).
SHUTDOWN_FLUSH_S = 8.0


def call_row(event: CallEnded) -> dict[str, Any]:
    meta = event.metadata
    return {
        "call_id": event.call_id,
        "source": event.source,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "end_reason": event.end_reason,
        "line": meta.line,
        "branch": meta.branch,
        "customer_ref_hash": meta.customer_ref_hash,
        "regulator_forwarded": meta.regulator_forwarded,
        "regulator_ref": meta.regulator_ref,
        "sample_rate": event.sample_rate,
        "audio_seconds": event.audio_seconds,
        "utterance_count": event.utterances,
        "max_risk": event.max_risk,
        "transcript": event.transcript,
        "complaint_event_id": event.complaint_event_id,
    }


def utterance_row(event: UtteranceEvent) -> dict[str, Any]:
    return {
        "utterance_id": event.utterance_id,
        "call_id": event.call_id,
        "seq": event.index,
        "call_started_at": event.call_started_at,
        "recognized_at": event.recognized_at,
        "start_s": event.start_s,
        "end_s": event.end_s,
        "text": event.text,
        "speaker": event.speaker,
        "words": [w.word for w in event.words],
        "word_starts": [w.start for w in event.words],
        "word_ends": [w.end for w in event.words],
        "word_confidences": [w.conf for w in event.words],
        "confidence": event.confidence,
        "risk": event.risk,
        "risk_level": event.risk_level,
        "risk_terms": list(event.risk_terms),
        "source": event.source,
        "line": event.metadata.line,
        "branch": event.metadata.branch,
        "regulator_forwarded": event.metadata.regulator_forwarded,
    }


class CallStorage(WorkerService):
    """The two call sinks of a worker, flushed on a timer and drained at stop."""

    async def on_start(self) -> None:
        s = self.settings
        options = s.sink_options
        self.calls = AckedSink(
            CallSink.from_url(s.clickhouse_url, **options),
            batch_rows=s.sink_batch_rows,
            flush_s=s.sink_flush_s,
        )
        self.utterances = AckedSink(
            UtteranceSink.from_url(s.clickhouse_url, **options),
            batch_rows=s.sink_batch_rows,
            flush_s=s.sink_flush_s,
        )
        start_timer(self, s.sink_flush_s, self._flush)
        self.ready.set()

    async def on_stop(self) -> None:
        for sink in (self.calls, self.utterances):
            await sink.drain(timeout_s=SHUTDOWN_FLUSH_S)
            await asyncio.to_thread(sink.sink.close, 1.0)

    async def _flush(self) -> None:
        self.calls.flush_soon()
        self.utterances.flush_soon()
