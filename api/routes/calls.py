"""Calls over HTTP: upload a recorded call, list live calls, read a call's transcript.

``POST /api/v1/calls`` takes a WAV file (PCM s16le mono, 8 or 16 kHz) as the request body, with
the call's metadata as query parameters; it is transcribed by the workers like a live call (apart
from live calls, faster than real time) and ends as a ``voice`` complaint. ``GET
/api/v1/calls/{id}`` shows a call live (from Redis) or ended (from ClickHouse).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import ValidationError

from api.auth import require
from api.call_history import call_ended_in_clickhouse
from api.call_models import (
    CallDetail,
    CallList,
    CallMetadataIn,
    CallMetadataQuery,
    RecordingAccepted,
    call_detail_from_redis,
    call_detail_from_rows,
    call_summary_from_redis,
    call_summary_from_row,
    metadata_error,
)
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep, LiveCallsDep, ProducerDep, SettingsDep
from api.event_producer import BrokerUnavailable, broker_unavailable
from asr import (
    MalformedWav,
    NotPcmAudio,
    UnsupportedSampleRate,
    WavAudio,
    frame_bytes,
    read_wav,
    split_frames,
)
from events.call_records import CALL_ID_PATTERN, CallAudio, CallMetadata, RecognizerOptions
from events.topic_names import CALLS_RECORDED
from storage.call_live_state import LiveCallStore
from storage.clickhouse import ClickHouseExecutor
from storage.clickhouse.analytics_pool import ExecutorPool
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
#: What a 503 names when ClickHouse cannot answer.
CALL_HISTORY = "call history (ClickHouse)"

Reader = Depends(require("calls.read"))
Uploader = Depends(require("ingest"))


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
    store: LiveCallsDep,
    producer: ProducerDep,
    clickhouse: ClickHouseDep,
    query: CallMetadataQuery,
    call_id: Annotated[str | None, Query(pattern=CALL_ID_PATTERN, description="Default: a new id.")] = None,
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
        metadata = CallMetadataIn.model_validate(query).to_metadata(settings)
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
        channels=wav.channels,
        customer_channel=settings.asr_customer_channel if customer_channel is None else customer_channel,
    )
    await _claim(clickhouse, store, call_id, wav, options, metadata)
    records = _records(call_id, wav, options, metadata)
    try:
        await producer.send_many(
            CALLS_RECORDED, ((r.call_id.encode(), r.model_dump_json().encode()) for r in records)
        )
    except BrokerUnavailable as exc:
        await store.forget_call(call_id)
        raise broker_unavailable(exc, "the recording") from exc
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
async def live_calls(
    store: LiveCallsDep, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST
) -> CallList:
    """Calls being transcribed now, oldest first, with the words of the utterance in progress."""
    return CallList(calls=[call_summary_from_redis(state) for state in await store.live_calls(limit)])


@router.get("", response_model=CallList, dependencies=[Reader])
async def ended_calls(
    clickhouse: ClickHouseDep, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50
) -> CallList:
    """The most recently ended calls (from ClickHouse), newest first."""
    rows = await run_query(clickhouse, recent_calls, limit=limit, unavailable=CALL_HISTORY)
    return CallList(calls=[call_summary_from_row(row) for row in rows])


@router.get("/{call_id}", response_model=CallDetail, dependencies=[Reader], responses={404: {}})
async def call_detail(
    call_id: Annotated[str, Path(pattern=CALL_ID_PATTERN)], clickhouse: ClickHouseDep, store: LiveCallsDep
) -> CallDetail:
    """One call with its transcript so far (live) or all of it (ended)."""
    state = await store.get_call(call_id)
    if state is not None:
        return call_detail_from_redis(state, await store.utterances(call_id))
    call, utterances = await run_query(clickhouse, _stored_call, call_id, unavailable=CALL_HISTORY)
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


def _stored_call(
    executor: ClickHouseExecutor, call_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    return stored_call(executor, call_id), stored_utterances(executor, call_id)


async def _claim(
    clickhouse: ExecutorPool,
    store: LiveCallStore,
    call_id: str,
    wav: WavAudio,
    options: RecognizerOptions,
    metadata: CallMetadata,
) -> None:
    """Create the call in Redis; 409 if the id is taken (live, recently ended, or in ClickHouse)."""
    opened = (
        "ended"
        if await call_ended_in_clickhouse(clickhouse, call_id)
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
