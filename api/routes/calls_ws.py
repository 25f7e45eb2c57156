"""``WS /ws/calls/{call_id}``: live call audio in, the vosk-server protocol out (see asr.vosk_protocol).

Existing Vosk telephony connectors and vosk-server client scripts work unchanged: a ``config``
text frame, binary PCM frames each answered by one ``partial`` or ``result`` text frame, then
``{"eof": 1}`` answered by the final result and a normal close. Each frame goes to Kafka keyed by
the call id; a worker transcribes it and puts the reply in Redis, where this handler picks it up.
Call metadata comes as query parameters or extra keys of ``config`` (``line``, ``branch``,
``caller_ref``, ``regulator_forwarded``, ``regulator_ref``).

Bad input gets ``{"error": ..., "code": ...}`` and a close with that code: 1003 for audio that is
not PCM s16le mono or an unsupported rate, 1007 for malformed messages, 1008 for an oversized
frame, frames after eof, a call that has ended or is streamed on another connection, and 1013
when the workers are at capacity. A connector that loses its connection may reconnect to the
same call id and go on; a call left without audio is closed and flushed after the idle timeout.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, WebSocket
from pydantic import ValidationError

from api.auth import require
from api.call_history import call_ended_in_clickhouse
from api.call_models import CallMetadataIn, CallMetadataQuery, metadata_error
from api.deps import ClickHouseDep, LiveCallsDep, ProducerDep, SettingsDep
from api.event_producer import BrokerUnavailable, EventProducer
from asr import (
    CLOSE_INVALID_PAYLOAD,
    CLOSE_NORMAL,
    CLOSE_POLICY_VIOLATION,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNSUPPORTED_DATA,
    AudioError,
    ConfigMessage,
    EofMessage,
    ModelNotFoundError,
    ProtocolError,
    ResetMessage,
    audio_error,
    check_pcm_frame,
    check_sample_rate,
    close_reason,
    error_message,
    parse_binary_control,
    parse_text_message,
    resolve_model_path,
    strip_wav_header,
)
from config.settings import Settings
from events.call_records import CALL_ID_PATTERN, CallAudio, CallMetadata, RecognizerOptions
from events.topic_names import CALLS_AUDIO
from storage.call_live_state import LiveCallStore
from storage.clickhouse.analytics_pool import ExecutorPool

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["calls"])

#: How often a connection waiting for the connector checks its idle time.
IDLE_POLL_S = 1.0
#: The API waits this much longer than the worker's idle timeout before closing a silent
#: connection itself, so that the worker's close (which flushes the transcript) normally comes first.
IDLE_GRACE_S = 5.0


@router.websocket("/ws/calls/{call_id}", dependencies=[Depends(require("ingest", websocket=True))])
async def call_stream(
    websocket: WebSocket,
    call_id: Annotated[str, Path(pattern=CALL_ID_PATTERN, description="The call's id in your telephony.")],
    settings: SettingsDep,
    store: LiveCallsDep,
    producer: ProducerDep,
    clickhouse: ClickHouseDep,
    query: CallMetadataQuery,
    sample_rate: Annotated[int | None, Query(description="For connectors that send no config.")] = None,
    channels: Annotated[
        int | None, Query(ge=1, le=2, description="2: interleaved stereo, caller and agent apart.")
    ] = None,
    customer_channel: Annotated[
        int | None,
        Query(ge=0, le=1, description="The caller's channel (default HOTLINE_ASR_CUSTOMER_CHANNEL)."),
    ] = None,
) -> None:
    """Stream one call's audio and get its transcript back, frame by frame (vosk-server protocol)."""
    connection = _CallConnection(
        websocket, call_id, settings, store, producer, clickhouse, query, sample_rate
    )
    for name, value in (("channels", channels), ("customer_channel", customer_channel)):
        if value is not None:  # a config message may still set them
            connection.options[name] = value
    await connection.run()


def _check_model(requested: str, settings: Settings) -> None:
    """Accept ``config.model`` only when it names the model this server transcribes with: every call
    of a worker shares its one loaded model, so a call cannot choose another."""
    try:
        path = resolve_model_path(settings.asr_model_path, setting="HOTLINE_ASR_MODEL_PATH")
    except ModelNotFoundError:
        path = None
    own = path.name if path is not None else None
    if path is not None and requested in {path.name, str(path)}:
        return
    raise ProtocolError(
        CLOSE_POLICY_VIOLATION,
        f"config.model {requested!r} is not available: this server transcribes every call with "
        f"its own model {own!r} (HOTLINE_ASR_MODEL_PATH); leave model out of the config",
    )


@dataclass(eq=False)
class _CallConnection:
    """One websocket connection of one call."""

    ws: WebSocket
    call_id: str
    settings: Settings
    store: LiveCallStore
    producer: EventProducer
    clickhouse: ExecutorPool
    query: dict[str, Any]
    requested_rate: int | None  # from the query or the config message

    def __post_init__(self) -> None:
        self.query = {k: v for k, v in self.query.items() if v is not None}
        self.connection = secrets.token_hex(8)
        self.sample_rate = self.requested_rate or self.settings.asr_default_sample_rate
        self.options: dict[str, Any] = {}
        self.config_extra: dict[str, Any] = {}
        self.resumed_state: dict[str, Any] | None = None
        self.started = False
        self.audio_seen = False
        self.eof = False
        self.seq = 0
        self.attach_ttl_s = self.settings.asr_idle_timeout_s + IDLE_GRACE_S
        # A connector waiting for replies is not idle: only time with no reply owed counts.
        self.frames_sent = 0
        self.replies_sent = 0
        self.last_activity = time.monotonic()
        self.attach_refreshed = 0.0

    async def run(self) -> None:
        await self.ws.accept()
        refusal = await self._admit()
        if refusal is not None:
            await self._close(refusal)
            return
        try:
            after = await self.store.last_reply_id(self.call_id)
            forwarder = asyncio.ensure_future(self._forward(after))
            receiver = asyncio.ensure_future(self._receive())
            done, _ = await asyncio.wait({forwarder, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if forwarder in done:
                receiver.cancel()
                code = forwarder.result()
                await self._close_quietly(
                    code, "end of call" if code == CLOSE_NORMAL else "closed by the worker"
                )
            else:
                forwarder.cancel()
                problem = receiver.result()
                if problem is not None:
                    await self._close(problem)
        finally:
            await self.store.detach(self.call_id, self.connection)

    async def _admit(self) -> ProtocolError | None:
        """Refuse a call that has ended or is streamed on another connection."""
        state = await self.store.get_call(self.call_id)
        if state is None:
            if await call_ended_in_clickhouse(self.clickhouse, self.call_id):
                return ProtocolError(CLOSE_POLICY_VIOLATION, f"call {self.call_id} has ended")
        elif state["status"] == "ended":
            return ProtocolError(CLOSE_POLICY_VIOLATION, f"call {self.call_id} has ended")
        elif state.get("source") != "live":
            return ProtocolError(CLOSE_POLICY_VIOLATION, f"call {self.call_id} is an uploaded recording")
        else:
            self.resumed_state = state
        if not await self.store.attach(self.call_id, self.connection, ttl_s=self.attach_ttl_s):
            return ProtocolError(
                CLOSE_POLICY_VIOLATION, f"call {self.call_id} is already streaming on another connection"
            )
        self.attach_refreshed = time.monotonic()
        return None

    # -- connector -> Kafka ------------------------------------------------------------------------
    async def _receive(self) -> ProtocolError | None:
        """Read frames until the connector leaves (None) or breaks the protocol (the error)."""
        timeout = self.settings.asr_idle_timeout_s + IDLE_GRACE_S
        while True:
            try:
                message = await asyncio.wait_for(self.ws.receive(), IDLE_POLL_S)
            except TimeoutError:
                owed = self.frames_sent > self.replies_sent
                if not owed and time.monotonic() - self.last_activity >= timeout:
                    return ProtocolError(
                        CLOSE_POLICY_VIOLATION, f"no audio for {timeout:g} s: the call was closed"
                    )
                continue
            self.last_activity = time.monotonic()
            if message["type"] == "websocket.disconnect":
                log.info("call %s: connector left%s", self.call_id, "" if self.eof else " before eof")
                return None
            cap = self.settings.asr_max_alternatives
            try:
                if message.get("text") is not None:
                    await self._on_control(parse_text_message(message["text"], max_alternatives=cap))
                elif message.get("bytes") is not None:
                    frame = message["bytes"]
                    control = parse_binary_control(frame, max_alternatives=cap)
                    await (self._on_control(control) if control is not None else self._on_audio(frame))
            except ProtocolError as exc:
                return exc
            except AudioError as exc:
                return audio_error(exc)
            except BrokerUnavailable:
                return ProtocolError(
                    CLOSE_TRY_AGAIN_LATER, "the message broker is unavailable; retry the call"
                )

    async def _on_control(self, message: ConfigMessage | EofMessage | ResetMessage) -> None:
        if self.eof:
            raise ProtocolError(CLOSE_POLICY_VIOLATION, "no messages are allowed after eof")
        if isinstance(message, EofMessage | ResetMessage):
            await self._start()
            kind = "eof" if isinstance(message, EofMessage) else "reset"
            await self._send(kind)
            self.eof = kind == "eof"
            return
        if self.started:
            raise ProtocolError(CLOSE_POLICY_VIOLATION, "config must come before the audio")
        if message.model is not None:
            _check_model(message.model, self.settings)
        if message.sample_rate is not None:
            self.sample_rate = self.requested_rate = check_sample_rate(message.sample_rate)
        for name in (
            "words",
            "max_alternatives",
            "phrase_list",
            "partial_words",
            "channels",
            "customer_channel",
        ):
            value = getattr(message, name)
            if value is not None:
                self.options[name] = value
        self.config_extra.update(message.extra)

    async def _on_audio(self, frame: bytes) -> None:
        if self.eof:
            raise ProtocolError(CLOSE_POLICY_VIOLATION, "no audio is allowed after eof")
        first = not self.audio_seen
        max_bytes = self.settings.asr_max_frame_bytes
        channels = self._channels()
        if first and len(frame) <= max_bytes and frame.startswith(b"RIFF"):
            frame = strip_wav_header(frame, self.sample_rate, channels)  # some connectors send the header
            first = False
        check_pcm_frame(
            frame, max_bytes=max_bytes, first=first, channels=channels
        )  # bad audio never opens a call
        await self._start()
        self.audio_seen = True
        await self._send("audio", frame)
        await self._keep_attached()

    def _channels(self) -> int:
        """Channels of the call's audio: as configured, or as the call was started (resumed)."""
        options = self.resumed_state["options"] if self.resumed_state is not None else self.options
        return int(options.get("channels", 1))

    async def _start(self) -> None:
        """Open the call (or resume it) with its first audio or eof."""
        if self.started:
            return
        if self.resumed_state is not None:
            state = self.resumed_state
            if self.requested_rate is not None and self.requested_rate != int(state["sample_rate"]):
                raise ProtocolError(
                    CLOSE_UNSUPPORTED_DATA,
                    f"call {self.call_id} was started at {state['sample_rate']} Hz,"
                    f" not {self.requested_rate} Hz",
                )
            self.sample_rate = int(state["sample_rate"])
            options = RecognizerOptions.model_validate(state["options"])
            metadata = CallMetadata.model_validate(state["metadata"])
            started_at = float(state["started_at"])
        else:
            check_sample_rate(self.sample_rate)
            try:
                meta_in = CallMetadataIn.model_validate({**self.query, **self.config_extra})
            except ValidationError as exc:
                raise ProtocolError(CLOSE_INVALID_PAYLOAD, metadata_error(exc)) from None
            metadata = meta_in.to_metadata(self.settings)
            options = RecognizerOptions(
                sample_rate=self.sample_rate,
                **{"customer_channel": self.settings.asr_customer_channel, **self.options},
            )
            started_at = time.time()
            opened = await self.store.open_call(
                self.call_id,
                source="live",
                started_at=started_at,
                sample_rate=self.sample_rate,
                options=options.model_dump(mode="json"),
                metadata=metadata.model_dump(mode="json"),
            )
            if opened == "ended":
                raise ProtocolError(CLOSE_POLICY_VIOLATION, f"call {self.call_id} has ended")
        self.started = True
        await self._send("start", options=options, metadata=metadata, started_at=started_at)

    async def _send(self, kind: str, pcm: bytes = b"", **extra: Any) -> None:
        record = CallAudio(
            call_id=self.call_id,
            kind=kind,
            connection=self.connection,
            seq=self.seq,
            sample_rate=self.sample_rate,
            pcm=pcm,
            sent_at=time.time(),
            **extra,
        )
        self.seq += 1
        await self.producer.send(CALLS_AUDIO, record.model_dump_json().encode(), key=self.call_id.encode())
        if kind != "start":
            self.frames_sent += 1  # each audio frame, reset and the eof get one reply

    async def _keep_attached(self) -> None:
        now = time.monotonic()
        if now - self.attach_refreshed >= self.attach_ttl_s / 3:
            self.attach_refreshed = now
            if not await self.store.keep_attached(self.call_id, self.connection, ttl_s=self.attach_ttl_s):
                await self.store.attach(self.call_id, self.connection, ttl_s=self.attach_ttl_s)

    # -- worker -> connector -----------------------------------------------------------------------
    async def _forward(self, after: str) -> int:
        """Send this connection's replies in order; return the close code once the call is over."""
        cursor = after
        while True:
            for entry_id, reply in await self.store.read_replies(self.call_id, cursor):
                cursor = entry_id
                if reply.get("connection") != self.connection:
                    continue
                await self.ws.send_text(reply["message"])
                self.replies_sent += 1
                self.last_activity = time.monotonic()
                if reply["kind"] == "final":
                    return CLOSE_NORMAL
                if reply["kind"] == "error":
                    return int(reply.get("close") or CLOSE_POLICY_VIOLATION)

    # -- closing ---------------------------------------------------------------------------------
    async def _close(self, problem: ProtocolError) -> None:
        log.info("call %s: closing with %d: %s", self.call_id, problem.code, problem.reason)
        try:
            await self.ws.send_text(error_message(problem.reason, problem.code))
        except Exception:
            return  # the connector is gone already
        await self._close_quietly(problem.code, problem.reason)

    async def _close_quietly(self, code: int, reason: str) -> None:
        try:
            await self.ws.close(code, reason=close_reason(reason))
        except Exception:
            log.debug("call %s: close after the connector left", self.call_id)
