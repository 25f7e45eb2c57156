"""Calls over HTTP: upload a recorded call, list live calls, read a call's transcript.

``POST /api/v1/calls`` takes a WAV file (PCM s16le mono, 8 or 16 kHz) as the request body, with
the call's metadata as query parameters; it is transcribed by the workers like a live call (apart
from live calls, faster than real time) and ends as a ``voice`` complaint. ``GET
/api/v1/calls/{id}`` shows a call live (from Redis) or ended (from ClickHouse).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from clickhouse_driver.errors import ErrorCodes, ServerException
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import ValidationError

from api.auth import require
from api.complaint_producer import BrokerUnavailable
from api.deps import RedisDep, SettingsDep
from api.routes.calls_models import (
    CallDetail,
    CallList,
    CallMetadataIn,
    RecordingAccepted,
    call_detail_from_redis,
    call_detail_from_rows,
    call_summary_from_redis,
    call_summary_from_row,
    metadata_error,
)
from api.routes.calls_producer import CallAudioProducer
from api.routes.calls_ws import call_ended_in_clickhouse
from asr import (
    MalformedWav,
    NotPcmAudio,
    UnsupportedSampleRate,
    WavAudio,
    frame_bytes,
    read_wav,
    split_frames,
)
from config.settings import Settings
from events.call_records import CALL_ID_PATTERN, CallAudio, CallMetadata, RecognizerOptions
from storage.call_live_state import LiveCallStore
from storage.clickhouse import ClickHouseExecutor, DriverExecutor
from storage.clickhouse.call_queries import recent_calls, stored_call, stored_utterances

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])

#: Seconds of audio per record of an uploaded recording: few records, each well under a
#: broker's message size limit.
UPLOAD_FRAME_S = 1.0
#: Content types a WAV upload may declare (none at all is accepted too).
WAV_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "application/octet-stream")
MAX_LIST = 500

T = TypeVar("T")

Reader = Depends(require("calls.read"))
Uploader = Depends(require("ingest"))


def _store(redis: RedisDep, settings: SettingsDep) -> LiveCallStore:
    return LiveCallStore(
        redis, key_prefix=settings.redis_key_prefix, ended_ttl_s=settings.asr_ended_call_ttl_s
    )


StoreDep = Annotated[LiveCallStore, Depends(_store)]


def _producer(request: Request) -> CallAudioProducer:
    return request.app.state.call_producer


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RecordingAccepted,
    dependencies=[Uploader],
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The WAV file itself (sent as audio/wav or application/octet-stream).",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={
        409: {"description": "A call with this id exists."},
        413: {"description": "Larger than HOTLINE_ASR_MAX_UPLOAD_BYTES."},
        415: {"description": "Not a PCM s16le WAV (mono, or two channels) at 8 or 16 kHz."},
        422: {"description": "A malformed WAV file or metadata."},
        503: {"description": "The broker is down; nothing was accepted."},
    },
)
async def upload_recording(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    producer: Annotated[CallAudioProducer, Depends(_producer)],
    call_id: Annotated[str | None, Query(pattern=CALL_ID_PATTERN, description="Default: a new id.")] = None,
    line: Annotated[str | None, Query(max_length=64)] = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    caller_ref: Annotated[
        str | None, Query(max_length=128, description="Only its keyed hash is kept.")
    ] = None,
    regulator_forwarded: bool = False,
    regulator_ref: Annotated[str | None, Query(max_length=128)] = None,
    customer_channel: Annotated[
        int | None,
        Query(
            ge=0,
            le=1,
            description="Two-channel WAV: the caller's channel (default HOTLINE_ASR_CUSTOMER_CHANNEL).",
        ),
    ] = None,
) -> RecordingAccepted:
    """Transcribe a recorded call (the WAV file is the body); 202 once the broker has all of it.

    A two-channel WAV is transcribed per channel (caller and agent apart). Transcription runs in
    the background, faster than real time; ``GET status_url`` shows its ``progress`` and, once
    ended, the transcript."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in WAV_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the WAV file itself as the body (Content-Type audio/wav), not {content_type}",
        )
    try:
        metadata = CallMetadataIn.model_validate(
            {
                "line": line,
                "branch": branch,
                "caller_ref": caller_ref,
                "regulator_forwarded": regulator_forwarded,
                "regulator_ref": regulator_ref,
            }
        ).to_metadata(settings)
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, metadata_error(exc)) from None
    body = await _read_body(request, settings.asr_max_upload_bytes)
    try:
        wav = read_wav(body)
    except (NotPcmAudio, UnsupportedSampleRate) as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    except MalformedWav as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    if not wav.pcm:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "the WAV file holds no audio")
    call_id = call_id or f"upload-{uuid.uuid4().hex}"
    options = RecognizerOptions(
        sample_rate=wav.sample_rate,
        channels=wav.channels,  # type: ignore[arg-type]
        customer_channel=settings.asr_customer_channel if customer_channel is None else customer_channel,
    )
    await _claim(settings, store, call_id, wav, options, metadata)
    try:
        await producer.send_recorded(_records(call_id, wav, options, metadata))
    except BrokerUnavailable as exc:
        await store.forget_call(call_id)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"{exc}; nothing was accepted, retry",
            headers={"Retry-After": "5"},
        ) from exc
    log.info(
        "accepted recording %s: %.1f s at %d Hz, %d channel(s)",
        call_id,
        wav.duration_s,
        wav.sample_rate,
        wav.channels,
    )
    return RecordingAccepted(
        call_id=call_id,
        sample_rate=wav.sample_rate,
        duration_s=round(wav.duration_s, 3),
        status_url=f"/api/v1/calls/{call_id}",
    )


@router.get("/live", response_model=CallList, dependencies=[Reader])
async def live_calls(store: StoreDep, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST) -> CallList:
    """Calls being transcribed now, oldest first, with the words of the utterance in progress."""
    return CallList(calls=[call_summary_from_redis(state) for state in await store.live_calls(limit)])


@router.get("", response_model=CallList, dependencies=[Reader])
async def ended_calls(
    settings: SettingsDep, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50
) -> CallList:
    """The most recently ended calls (from ClickHouse), newest first."""
    rows = await _query(settings, lambda ex: recent_calls(ex, limit=limit), empty=[])
    return CallList(calls=[call_summary_from_row(row) for row in rows])


@router.get("/{call_id}", response_model=CallDetail, dependencies=[Reader], responses={404: {}})
async def call_detail(
    call_id: Annotated[str, Path(pattern=CALL_ID_PATTERN)], settings: SettingsDep, store: StoreDep
) -> CallDetail:
    """One call with its transcript so far (live) or all of it (ended)."""
    state = await store.get_call(call_id)
    if state is not None:
        return call_detail_from_redis(state, await store.utterances(call_id))
    call, utterances = await _query(
        settings, lambda ex: (stored_call(ex, call_id), stored_utterances(ex, call_id)), empty=(None, [])
    )
    if call is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no call {call_id}")
    return call_detail_from_rows(call, utterances)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"recording larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"recording larger than {limit} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _claim(
    settings: Settings,
    store: LiveCallStore,
    call_id: str,
    wav: WavAudio,
    options: RecognizerOptions,
    metadata: CallMetadata,
) -> None:
    """Create the call in Redis; 409 if the id is taken (live, recently ended, or in ClickHouse)."""
    try:
        ended = await asyncio.to_thread(call_ended_in_clickhouse, settings, call_id)
    except Exception as exc:
        log.warning("cannot check call %s in ClickHouse: %s", call_id, exc)
        ended = False
    opened = (
        "ended"
        if ended
        else await store.open_call(
            call_id,
            source="upload",
            started_at=time.time(),
            sample_rate=wav.sample_rate,
            options=options.model_dump(mode="json"),
            metadata=metadata.model_dump(mode="json"),
            duration_s=wav.duration_s,
        )
    )
    if opened != "created":
        raise HTTPException(status.HTTP_409_CONFLICT, f"call {call_id} exists already ({opened})")


def _records(
    call_id: str, wav: WavAudio, options: RecognizerOptions, metadata: CallMetadata
) -> list[CallAudio]:
    now = time.time()
    common = {"call_id": call_id, "connection": "upload", "sample_rate": wav.sample_rate, "source": "upload"}
    records = [
        CallAudio(
            kind="start",
            seq=0,
            sent_at=now,
            options=options,
            metadata=metadata,
            started_at=now,
            **common,
        )
    ]
    size = frame_bytes(wav.sample_rate, UPLOAD_FRAME_S, wav.channels)
    for frame in split_frames(wav.pcm, size):
        records.append(CallAudio(kind="audio", seq=len(records), pcm=frame, sent_at=now, **common))
    records.append(CallAudio(kind="eof", seq=len(records), sent_at=now, **common))
    return records


async def _query(settings: Settings, read: Callable[[ClickHouseExecutor], T], *, empty: T) -> T:
    """Run ``read`` on ClickHouse in a thread: ``empty`` before any call was stored (no tables yet),
    503 (not a 500) while ClickHouse cannot answer."""
    try:
        return await asyncio.to_thread(_read, settings, read)
    except ServerException as exc:
        if exc.code not in (ErrorCodes.UNKNOWN_TABLE, ErrorCodes.UNKNOWN_DATABASE):
            raise _unavailable(exc) from exc
        return empty
    except Exception as exc:
        raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> HTTPException:
    first_line = (str(exc).splitlines() or [""])[0][:200]
    log.warning("call history unavailable: %s: %s", type(exc).__name__, first_line)
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, "call history is unavailable (ClickHouse); retry"
    )


def _read(settings: Settings, read: Callable[[ClickHouseExecutor], T]) -> T:
    executor = DriverExecutor.from_url(settings.clickhouse_url, create_database=False)
    try:
        return read(executor)
    finally:
        executor.close()
