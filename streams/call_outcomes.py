"""What a call produces besides its replies: each final utterance, scored for escalation risk, as
soon as it is recognized; at the end, the whole transcript as a ``voice`` complaint and a summary.

Both are sent before the call is marked ended in Redis, so a worker that crashes in between leaves
a live call that the next worker ends again; the complaint and the summary have fixed ids per call
and the sinks store each once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import faust

from asr import (
    EscalationRiskScorer,
    RecognizerSession,
    Reply,
    RiskScore,
    TwoChannelSession,
    Utterance,
    as_sentence,
    error_message,
)
from events.call_records import (
    CallAudio,
    CallEnded,
    CallMetadata,
    UtteranceEvent,
    WordTiming,
    complaint_id_for_call,
)
from events.records import ComplaintEvent
from storage.call_live_state import LiveCallStore
from streams.topics import Topics

__all__ = [
    "TranscribedCall",
    "end_call",
    "error_envelope",
    "publish_utterance",
    "reply_envelope",
]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class TranscribedCall:
    """One call this worker transcribes: its queue of steps, its task and its recognizer."""

    call_id: str
    source: str
    queue: asyncio.Queue[tuple[faust.EventT | None, CallAudio | None]]
    tp: Any = None
    task: asyncio.Task[None] | None = None
    session: RecognizerSession | TwoChannelSession | None = None
    connection: str = ""
    started_at: float = 0.0
    metadata: CallMetadata = field(default_factory=CallMetadata)
    closing: bool = False
    busy: bool = False
    #: Last frame processed per connection: a frame Kafka delivers again (after a rebalance or a
    #: restart, from the last committed offset) is skipped instead of fed to the recognizer twice.
    last_seq: dict[str, int] = field(default_factory=dict)

    def seen(self, record: CallAudio) -> bool:
        return record.seq <= self.last_seq.get(record.connection, -1)


def reply_envelope(record: CallAudio, reply: Reply, *, kind: str) -> dict[str, Any]:
    """What the API's websocket handler needs to forward a reply to the right connection."""
    return {
        "connection": record.connection,
        "seq": record.seq,
        "kind": kind,
        "message": reply.message,
        "close": None,
    }


def error_envelope(connection: str, seq: int, reason: str, code: int) -> dict[str, Any]:
    """A protocol error for the connection, with the close code the API closes it with."""
    return {
        "connection": connection,
        "seq": seq,
        "kind": "error",
        "message": error_message(reason, code),
        "close": code,
    }


#: An agent's words are not the caller escalating: they are scored by agent rules instead.
_NOT_SCORED = RiskScore(0.0, "none", ())


async def publish_utterance(
    store: LiveCallStore,
    scorer: EscalationRiskScorer,
    call: TranscribedCall,
    utterance: Utterance,
    *,
    topics: Topics,
    language: str | None = None,
) -> UtteranceEvent:
    """Score ``utterance`` (the caller's words only), write it as a sentence, append it to the call's
    transcript in Redis, send it to ``calls.utterances``."""
    index = await store.reserve_utterance_index(call.call_id)
    risk = _NOT_SCORED if utterance.speaker == "agent" else scorer.score_one(utterance.text)
    event = UtteranceEvent(
        utterance_id=f"{call.call_id}:{index}",
        call_id=call.call_id,
        index=index,
        text=as_sentence(utterance.text, language),
        speaker=utterance.speaker,
        words=tuple(WordTiming(word=w.word, start=w.start, end=w.end, conf=w.conf) for w in utterance.words),
        start_s=utterance.start,
        end_s=utterance.end,
        confidence=utterance.confidence,
        risk=risk.score,
        risk_level=risk.level,
        risk_terms=risk.terms,
        source=call.source,
        metadata=call.metadata,
        call_started_at=call.started_at,
        recognized_at=time.time(),
    )
    await store.add_utterance(call.call_id, event.model_dump(mode="json"), risk.score)
    await topics.calls_utterances.send(key=call.call_id.encode(), value=event.model_dump_json().encode())
    if risk.level in ("medium", "high"):
        log.info("call %s utterance %d: %s escalation risk %.2f", call.call_id, index, risk.level, risk.score)
    return event


async def end_call(
    store: LiveCallStore, call: TranscribedCall, reason: str, *, topics: Topics, max_text_chars: int
) -> None:
    """The caller's words become a ``voice`` complaint (cut to ``max_text_chars``, what the API
    accepts; on a two-channel call the agent's words are left out), the whole transcript a
    ``CallEnded``; then the call is ended."""
    ended_at = time.time()
    state = await store.get_call(call.call_id) or {}
    utterances = await store.utterances(call.call_id)
    transcript = " ".join(u["text"] for u in utterances if u.get("text"))
    complaint_text = " ".join(
        u["text"] for u in utterances if u.get("text") and u.get("speaker", "mixed") != "agent"
    )
    audio_seconds = call.session.audio_seconds if call.session else 0.0
    meta = call.metadata
    complaint_id = None
    if complaint_text:
        complaint_id = complaint_id_for_call(call.call_id)
        complaint = ComplaintEvent(
            event_id=complaint_id,
            text=complaint_text[:max_text_chars],
            channel="voice",
            branch=meta.branch,
            line=meta.line,
            customer_ref_hash=meta.customer_ref_hash,
            regulator_forwarded=meta.regulator_forwarded,
            regulator_ref=meta.regulator_ref,
            received_at=ended_at,
        )
        await topics.complaints_in.send(key=complaint_id.encode(), value=complaint.model_dump_json().encode())
    summary = CallEnded(
        call_id=call.call_id,
        source=call.source,
        started_at=call.started_at,
        ended_at=ended_at,
        end_reason=reason,
        metadata=meta,
        sample_rate=call.session.sample_rate if call.session else int(state.get("sample_rate", 0)),
        audio_seconds=max(audio_seconds, float(state.get("audio_seconds", 0.0))),
        utterances=len(utterances),
        max_risk=max((float(u.get("risk", 0.0)) for u in utterances), default=0.0),
        transcript=transcript,
        complaint_event_id=complaint_id,
    )
    await topics.calls_ended.send(key=call.call_id.encode(), value=summary.model_dump_json().encode())
    await store.end_call(call.call_id, ended_at=ended_at, reason=reason, audio_seconds=audio_seconds)
    warm = call.session is not None and call.session.warm_start
    if call.session is not None:
        call.session.close()  # its recognizer, finished, serves the next call
    log.info(
        "call %s ended (%s): %.1f s of audio, %d utterance(s), %s recognizer",
        call.call_id,
        reason,
        audio_seconds,
        len(utterances),
        "warm" if warm else "new",
    )
