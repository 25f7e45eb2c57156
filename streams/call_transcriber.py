"""The worker side of live calls: a recognizer per call, fed in order, answered frame by frame.

The transcribe agents hand each ``CallAudio`` record to :meth:`CallTranscriber.submit`. Each call
gets a bounded queue and a task of its own, so one call's frames are processed strictly in order
while different calls use the recognizer thread pool in parallel (Vosk releases the GIL).
A full queue makes ``submit`` wait, which pauses the agent: backpressure into Kafka, never
unbounded memory. Per frame the reply goes to Redis (the API's websocket handler forwards it);
each final utterance and, at the end (eof, idle timeout, end of an upload), the whole transcript go
on as ``streams.call_outcomes`` describes.

A frame's event is acked once its reply is published, and a call's end only after the complaint
was sent, so a crash replays what was not finished; every effect downstream is idempotent (fixed
utterance, complaint and call ids).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import faust
import redis.asyncio as aioredis
from mode import Service

from asr import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_POLICY_VIOLATION,
    CLOSE_TRY_AGAIN_LATER,
    CallLimitReached,
    CallSessions,
    EscalationRiskScorer,
    ModelNotFoundError,
    RecognizerPool,
    RecognizerSession,
    Reply,
    TwoChannelSession,
    load_model,
    model_language,
    resolve_model_path,
    risk_phrases,
)
from config.settings import Settings
from events.call_records import CallAudio, CallMetadata, RecognizerOptions
from privacy import PiiRedactor
from storage.call_live_state import LiveCallStore
from streams.call_outcomes import (
    TranscribedCall,
    end_call,
    error_envelope,
    publish_utterance,
    reply_envelope,
)
from streams.call_redaction import redacted_reply
from streams.topics import Topics
from streams.worker_metrics import LIVE_CALLS
from streams.worker_service import WorkerService

__all__ = ["CallTranscriber"]

log = logging.getLogger(__name__)

#: How often calls are checked for the idle timeout.
IDLE_CHECK_S = 1.0
#: Recordings transcribed at once per worker: they run faster than real time, so one at a time
#: finishes each soonest and leaves the rest of the call cap to live calls.
MAX_UPLOADS_AT_ONCE = 1
UPLOAD_WAIT_S = 0.1


class CallTranscriber(WorkerService):
    """Recognizer sessions of one worker, capped, with idle expiry; replies through Redis."""

    def __init__(self, settings: Settings, *, topics: Topics, **kwargs: Any) -> None:
        #: Where utterances, ended calls and their complaints go.
        self.topics = topics
        # Created here, not in on_start: partitions may be assigned before the service starts.
        self.calls: CallSessions[TranscribedCall] = CallSessions(
            max_calls=settings.asr_max_calls_per_worker, idle_timeout_s=settings.asr_idle_timeout_s
        )
        LIVE_CALLS.set_function(lambda: len(self.calls))
        self.scorer = EscalationRiskScorer()
        self.language: str | None = None  # the model's, once loaded: how utterances are written
        self.recognizers: RecognizerPool | None = None  # once the model is loaded
        self._model_task: asyncio.Task[Any] | None = None
        self._stalled_since: float | None = None
        super().__init__(settings, **kwargs)

    async def on_start(self) -> None:
        s = self.settings
        self.redis = aioredis.Redis.from_url(s.redis_url)
        self.store = LiveCallStore(
            self.redis, key_prefix=s.redis_key_prefix, ended_ttl_s=s.asr_ended_call_ttl_s
        )
        self.redactor = PiiRedactor(s.pii_key())
        self.pool = ThreadPoolExecutor(
            max_workers=s.asr_threads or os.cpu_count() or 2, thread_name_prefix="vosk"
        )
        if s.asr_preload:
            self._model_task = asyncio.ensure_future(self._load_model())
            self._model_task.add_done_callback(_log_model_failure)
        self.ready.set()

    async def on_stop(self) -> None:
        # Calls in progress are not ended here: their unacked frames go to the next worker, which
        # resumes them from Redis. Only this process's tasks and threads stop.
        for call_id in self.calls:
            call = self.calls.close(call_id)
            if call is not None and call.task is not None:
                call.task.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
        await self.redis.aclose()

    # -- intake --------------------------------------------------------------------------------
    async def submit(self, event: faust.EventT, record: CallAudio) -> None:
        """Queue ``record`` on its call (starting the call's task); waits while the queue is full."""
        call = self.calls.get(record.call_id)
        if call is None:
            if record.source == "upload":
                await self._wait_for_upload_room()
            try:
                call = self.calls.open(record.call_id, self._new_call(record, event))
            except CallLimitReached as exc:
                await self._refuse(record, str(exc))
                event.ack()
                return
            call.task = asyncio.ensure_future(self._run(call))
        self.calls.touch(record.call_id)
        # Recordings wait for room all the time (they come faster than real time); a live call
        # waiting means the worker is behind, and live intake pauses.
        stalled = call.queue.full() and record.source == "live" and self._stalled_since is None
        if stalled:
            self._stalled_since = time.monotonic()
            log.warning("call %s is %d frames behind; pausing intake", record.call_id, call.queue.qsize())
        await call.queue.put((event, record))
        if call.task is not None and call.task.done():
            await self._drain(call)  # the call ended while we waited for room in its queue
        if stalled and self._stalled_since is not None:
            # Time spent blocked here was nobody's silence: don't count it towards idle timeouts.
            self.calls.delay_idle(time.monotonic() - self._stalled_since)
            self._stalled_since = None

    def keep_only(self, assigned: set[Any]) -> None:
        """After a rebalance: drop (without ending) the calls of partitions now owned by another worker."""
        for call_id in self.calls:
            call = self.calls.get(call_id)
            if call is not None and call.tp not in assigned:
                self.calls.close(call_id)
                if call.task is not None:
                    call.task.cancel()
                log.info("call %s moved to another worker", call_id)

    def _new_call(self, record: CallAudio, event: faust.EventT) -> TranscribedCall:
        queue: asyncio.Queue[tuple[faust.EventT | None, CallAudio | None]] = asyncio.Queue(
            self.settings.asr_max_pending_frames
        )
        return TranscribedCall(
            record.call_id, record.source, queue, tp=event.message.tp, connection=record.connection
        )

    async def _wait_for_upload_room(self) -> None:
        while (
            self.calls.full
            or sum(1 for c in self.calls if self._source(c) == "upload") >= MAX_UPLOADS_AT_ONCE
        ):
            await asyncio.sleep(UPLOAD_WAIT_S)

    def _source(self, call_id: str) -> str:
        call = self.calls.get(call_id)
        return call.source if call is not None else ""

    @Service.timer(IDLE_CHECK_S)
    async def _expire_idle(self) -> None:
        if self._stalled_since is not None:
            return
        for call_id in self.calls.idle_calls():
            call = self.calls.get(call_id)
            if call is not None and not call.closing and not call.busy and call.queue.empty():
                call.closing = True
                try:
                    call.queue.put_nowait((None, None))
                except asyncio.QueueFull:
                    call.closing = False  # it has work queued after all: not idle

    # -- one call --------------------------------------------------------------------------------
    async def _run(self, call: TranscribedCall) -> None:
        try:
            done = False
            while not done:
                event, record = await call.queue.get()
                call.busy = True
                try:
                    done = await self._step(call, record)
                except Exception:
                    log.exception(
                        "call %s failed on a %s step", call.call_id, record.kind if record else "idle"
                    )
                    await self._reply_error(
                        call, "internal error transcribing the call", CLOSE_INTERNAL_ERROR
                    )
                    done = True
                finally:
                    call.busy = False
                    self.calls.touch(call.call_id)  # idle means no audio since we last answered
                    if event is not None:
                        event.ack()
        finally:
            if self.calls.get(call.call_id) is call:
                self.calls.close(call.call_id)
            await self._drain(call)

    async def _drain(self, call: TranscribedCall) -> None:
        """Answer what arrived for a call after it ended (frames after eof) and ack it."""
        while not call.queue.empty():
            event, record = call.queue.get_nowait()
            if record is not None and record.kind != "start":
                call.connection = record.connection
                await self._reply_error(
                    call,
                    f"call {call.call_id} has ended: no frames after eof",
                    CLOSE_POLICY_VIOLATION,
                    record,
                )
            if event is not None:
                event.ack()

    async def _step(self, call: TranscribedCall, record: CallAudio | None) -> bool:
        """Process one step; True when the call is over for this worker."""
        if record is None:
            return await self._close_idle(call)
        call.connection = record.connection
        if call.seen(record):
            return False
        call.last_seq[record.connection] = record.seq
        if call.session is None and not await self._open_session(call, record):
            return True
        assert call.session is not None
        if record.kind == "start":
            return False
        if record.kind in ("audio", "reset"):
            step = call.session.reset if record.kind == "reset" else partial(call.session.accept, record.pcm)
            reply = await self._recognize(step)
            await self._answer(call, record, reply)
            return False
        reply = await self._recognize(call.session.finish)
        await self._publish(call, reply)
        # Ended before the final reply goes out: a connector that reconnects once it has the final
        # result must find the call ended.
        reason = "upload" if call.source == "upload" else "eof"
        await end_call(
            self.store, call, reason, topics=self.topics, max_text_chars=self.settings.max_text_chars
        )
        if record.source == "live":
            await self.store.publish_reply(call.call_id, reply_envelope(record, reply, kind="final"))
        return True

    async def _open_session(self, call: TranscribedCall, record: CallAudio) -> bool:
        """Start the recognizer, from the start record or (resuming a call) from Redis."""
        state = await self.store.get_call(call.call_id)
        if state is None or state["status"] != "live":
            what = "has ended" if state is not None else "is unknown (connect to start it)"
            await self._reply_error(call, f"call {call.call_id} {what}", CLOSE_POLICY_VIOLATION, record)
            return False
        if record.kind == "start" and record.options is not None:
            options, call.metadata = record.options, record.metadata or CallMetadata()
            call.started_at = record.started_at or record.sent_at
        else:
            options = RecognizerOptions.model_validate(state["options"])
            call.metadata = CallMetadata.model_validate(state["metadata"])
            call.started_at = state["started_at"]
            log.info("resuming call %s on this worker", call.call_id)
        try:
            model = await self._model()

            def one_channel() -> RecognizerSession:
                return RecognizerSession(
                    model,
                    options.sample_rate,
                    words=options.words,
                    max_alternatives=options.max_alternatives,
                    phrases=options.phrase_list,
                    partial_words=options.partial_words,
                    pool=self.recognizers,
                )

            def session() -> RecognizerSession | TwoChannelSession:
                if options.channels == 2:  # caller and agent apart: a recognizer each
                    return TwoChannelSession(one_channel, customer_channel=options.customer_channel)
                return one_channel()

            call.session = await asyncio.get_running_loop().run_in_executor(self.pool, session)
        except (ModelNotFoundError, ImportError) as exc:
            await self._refuse(record, f"speech recognition is unavailable: {exc}", code=CLOSE_INTERNAL_ERROR)
            return False
        if call.session.missing_words:
            log.info(
                "call %s: %d phrase_list word(s) not in the model's vocabulary",
                call.call_id,
                len(call.session.missing_words),
            )
        return True

    async def _answer(self, call: TranscribedCall, record: CallAudio, reply: Reply) -> None:
        """Publish a frame's reply (live calls) with the call's progress, then its utterance if any."""
        assert call.session is not None
        await self.store.record_frame(
            call.call_id,
            at=time.time(),
            partial=reply.partial if reply.kind == "partial" else None,
            audio_seconds=call.session.audio_seconds,
            reply=reply_envelope(record, reply, kind=reply.kind) if record.source == "live" else None,
        )
        await self._publish(call, reply)

    async def _recognize(self, step: Callable[[], Reply]) -> Reply:
        """Run a recognizer step in the pool; personal data leaves the reply there too."""
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, lambda: redacted_reply(step(), self.redactor)
        )

    async def _publish(self, call: TranscribedCall, reply: Reply) -> None:
        """Every utterance the reply ended (a two-channel frame can end one per speaker)."""
        for utterance in reply.utterances:
            await publish_utterance(
                self.store, self.scorer, call, utterance, topics=self.topics, language=self.language
            )

    async def _close_idle(self, call: TranscribedCall) -> bool:
        if call.session is not None:
            reply = await self._recognize(call.session.finish)
            await self._publish(call, reply)
            await end_call(
                self.store, call, "idle", topics=self.topics, max_text_chars=self.settings.max_text_chars
            )
        timeout = self.settings.asr_idle_timeout_s
        await self._reply_error(
            call, f"no audio for {timeout:g} s: the call was closed", CLOSE_POLICY_VIOLATION
        )
        return True

    # -- errors ----------------------------------------------------------------------------------
    async def _refuse(self, record: CallAudio, reason: str, *, code: int = CLOSE_TRY_AGAIN_LATER) -> None:
        """Turn a call away before it ran; its id may be used again."""
        log.warning("refused call %s: %s", record.call_id, reason)
        await self.store.forget_call(record.call_id)
        if record.source == "live":
            await self.store.publish_reply(
                record.call_id, error_envelope(record.connection, record.seq, reason, code)
            )

    async def _reply_error(
        self, call: TranscribedCall, reason: str, code: int, record: CallAudio | None = None
    ) -> None:
        if call.source != "live":
            log.warning("recording %s: %s", call.call_id, reason)
            return
        seq = record.seq if record is not None else -1
        await self.store.publish_reply(call.call_id, error_envelope(call.connection, seq, reason, code))

    # -- the model -------------------------------------------------------------------------------
    async def _model(self) -> Any:
        if self._model_task is None or (self._model_task.done() and self._model_task.exception()):
            self._model_task = asyncio.ensure_future(self._load_model())
        return await asyncio.shield(self._model_task)

    async def _load_model(self) -> Any:
        path = resolve_model_path(self.settings.asr_model_path, setting="HOTLINE_ASR_MODEL_PATH")
        language = self.language = model_language(path)
        # Key phrases in the language the model writes (every language's when the model's is unknown).
        self.scorer = EscalationRiskScorer(risk_phrases(language))
        log.info("speech model %s: language %s", path, language or "unknown (risk phrases of every language)")
        model = await asyncio.to_thread(load_model, path)
        # As many warm recognizers as calls at once: each ~100 MB, each halving a new call's CPU.
        self.recognizers = RecognizerPool(model, max_idle=self.settings.asr_max_calls_per_worker)
        return model


def _log_model_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("cannot load the speech model; calls will be refused: %s", task.exception())
